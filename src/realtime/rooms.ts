/** Room names, in one place: every cross-instance delivery is addressed to one of these. */
export const rooms = {
  home: (serial: string) => `home:${serial}`,
  grant: (grantId: string) => `grant:${grantId}`,
  device: (serial: string, deviceId: string) => `device:${serial}:${deviceId}`,
  /** Dashboards of guests who may see this device (they never join the home room). */
  deviceWatchers: (serial: string, deviceId: string) => `watch:${serial}:${deviceId}`,
  /**
   * A resuming socket's twin of a room above: its events carry a second argument, their log
   * position. Resuming sockets join only these, so plain sockets never see that argument.
   */
  resuming: (room: string) => `r:${room}`,
};

export const namespaces = { kiosk: '/kiosk', device: '/device', dashboard: '/' } as const;

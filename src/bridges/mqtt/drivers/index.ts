import type { DriverName, DriverOptions, MqttDriver } from '../driver.ts';
import { homeAssistantDriver } from './homeassistant.ts';
import { shellyDriver } from './shelly.ts';
import { tasmotaDriver } from './tasmota.ts';
import { zigbee2mqttDriver } from './zigbee2mqtt.ts';

const factories: Record<DriverName, (options: DriverOptions) => MqttDriver> = {
  zigbee2mqtt: zigbee2mqttDriver,
  tasmota: tasmotaDriver,
  shelly: shellyDriver,
  homeassistant: homeAssistantDriver,
};

/** Fresh driver instances for one bridge session (drivers remember what the broker told them). */
export function buildDrivers(names: readonly DriverName[], options: DriverOptions): MqttDriver[] {
  return names.map((name) => factories[name](options));
}

// Types for qrcode.js beside it (node-qrcode's browser build, scripts/vendor-qrcode.sh) for tsconfig.web.json: only `toString` is used.
export function toString(
  text: string,
  options: { type: 'svg'; errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H'; margin?: number; color?: { dark?: string; light?: string } },
): Promise<string>;

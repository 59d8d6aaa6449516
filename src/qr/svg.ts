import QRCode from 'qrcode';

/** The approve link as a scannable SVG; medium error correction survives a glare-covered screen. */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

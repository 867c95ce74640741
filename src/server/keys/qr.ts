// QR codes of key secrets, as SVG (the holder's page shows it; nothing is written anywhere).
import QRCode from 'qrcode';

export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

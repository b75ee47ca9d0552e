"""Pure code handling: trace codes, GTINs, GS1 Digital Link, QR codes, label and certificate PDFs."""

// Numbers as the benchmark reports print them: '–' for what was not measured.
export const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

// `significant` digits, grouped in thousands (1,234; 12.3; 0.0456).
export const digits = (value, significant = 3) => {
  if (!isNumber(value)) return '–';
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, significant - 1 - magnitude);
  return value.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
};

export const integer = (value) => (isNumber(value) ? Math.round(value).toLocaleString('en-US') : '–');

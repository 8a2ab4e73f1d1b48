// Prices: the API keeps whole minor units (cents) and an ISO 4217 code; people type and read major units.
// Pure functions: unit-tested with `node --test` (tests/console/).

// ISO 4217 minor units of the currencies offered in the console. The API counts amounts in these; the
// browser's Intl data (CLDR) sometimes says otherwise (HUF: ISO 2, CLDR 0), so they are not taken from Intl.
export const CURRENCY_DIGITS = {
  EUR: 2, USD: 2, GBP: 2, CHF: 2, CAD: 2, AUD: 2, NZD: 2, JPY: 0, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2,
  HUF: 2, ISK: 0, RON: 2, TRY: 2, BRL: 2, MXN: 2, INR: 2, ZAR: 2, SGD: 2, HKD: 2, CNY: 2, KRW: 0, ILS: 2,
  AED: 2, KWD: 3,
};
export const CURRENCIES = Object.keys(CURRENCY_DIGITS);
export const MAX_AMOUNT = 100000000; // the API's limit, in minor units

/** The number of decimals of a currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD). */
export function fractionDigits(currency) {
  if (currency in CURRENCY_DIGITS) return CURRENCY_DIGITS[currency];
  try {
    return new Intl.NumberFormat("en-GB", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** Whole minor units -> the decimal in major units as a string: (4500, "EUR") -> "45.00", (4500, "JPY") -> "4500". */
export function minorToMajor(amount, currency) {
  const digits = fractionDigits(currency);
  const text = String(Math.abs(Math.trunc(amount))).padStart(digits + 1, "0");
  const sign = amount < 0 ? "-" : "";
  if (digits === 0) return sign + text;
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** "€45.00" for (4500, "EUR"), in the currency's own decimals; the decimal string is formatted, not a float. */
export function formatPrice(amount, currency, locale = "en-GB") {
  const digits = fractionDigits(currency);
  const major = minorToMajor(amount, currency);
  try {
    return new Intl.NumberFormat(locale, {
      style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(major);
  } catch {
    return `${major} ${currency}`;
  }
}

/**
 * A typed price in major units -> whole minor units, by string arithmetic (no float rounding):
 * ("45.5", "EUR") -> 4550. Throws an Error with a message for people when it is not a plain decimal with at
 * most the currency's decimals, or is over the API's limit.
 */
export function parsePrice(text, currency) {
  const digits = fractionDigits(currency);
  const example = digits === 0 ? "4500" : `45.${"0".repeat(digits)}`;
  const value = String(text ?? "").trim();
  const match = /^(\d*)(?:\.(\d*))?$/.exec(value);
  if (!value || !match || (match[1] === "" && !match[2])) {
    const how = digits ? "digits, and a dot before the decimals" : "digits only";
    throw new Error(`Price: type a number such as ${example} (${how}).`);
  }
  const whole = match[1] || "0";
  const fraction = match[2] || "";
  if (fraction.length > digits) {
    throw new Error(digits === 0
      ? `Price: ${currency} has no decimals; type a whole number such as ${example}.`
      : `Price: at most ${digits} decimal${digits === 1 ? "" : "s"} in ${currency}, e.g. ${example}.`);
  }
  const minor = (whole + fraction.padEnd(digits, "0")).replace(/^0+(?=\d)/, "");
  if (minor.length > String(MAX_AMOUNT).length || Number(minor) > MAX_AMOUNT) {
    throw new Error(`Price: at most ${minorToMajor(MAX_AMOUNT, currency)} ${currency}.`);
  }
  return Number(minor);
}

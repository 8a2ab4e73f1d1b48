// Unit tests of console/js/money.js, run by `node --test` (tests/unit/test_console_scripts.py runs them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatPrice, fractionDigits, minorToMajor, parsePrice } from "../../console/js/money.js";

test("minor units follow ISO 4217, not the browser's CLDR data", () => {
  assert.equal(fractionDigits("EUR"), 2);
  assert.equal(fractionDigits("JPY"), 0);
  assert.equal(fractionDigits("KWD"), 3);
  assert.equal(fractionDigits("HUF"), 2); // CLDR says 0
});

test("a typed price becomes whole minor units exactly", () => {
  assert.equal(parsePrice("45.00", "EUR"), 4500);
  assert.equal(parsePrice(" 45.5 ", "EUR"), 4550);
  assert.equal(parsePrice("45", "EUR"), 4500);
  assert.equal(parsePrice("0.29", "EUR"), 29); // 0.29 * 100 is 28.999999999999996 in floats
  assert.equal(parsePrice("1.005", "KWD"), 1005);
  assert.equal(parsePrice("4500", "JPY"), 4500);
  assert.equal(parsePrice("000.10", "USD"), 10);
  assert.equal(parsePrice(".5", "EUR"), 50);
  assert.equal(parsePrice("1000000.00", "EUR"), 100000000);
});

test("a price that is not a plain decimal with the currency's decimals is refused with a message", () => {
  assert.throws(() => parsePrice("12.345", "EUR"), /at most 2 decimals in EUR/);
  assert.throws(() => parsePrice("12.5", "JPY"), /JPY has no decimals/);
  for (const bad of ["", " ", ".", "abc", "1e3", "-5", "12,50", "1 000", "NaN", "Infinity", "0x10", "+5"]) {
    assert.throws(() => parsePrice(bad, "EUR"), /Price: type a number such as 45\.00/, bad);
  }
  assert.throws(() => parsePrice("1000000.01", "EUR"), /at most 1000000\.00 EUR/);
  assert.throws(() => parsePrice("99999999999999999999999", "EUR"), /at most/);
});

test("minor units read back in major units and format in the currency", () => {
  assert.equal(minorToMajor(4500, "EUR"), "45.00");
  assert.equal(minorToMajor(5, "EUR"), "0.05");
  assert.equal(minorToMajor(0, "EUR"), "0.00");
  assert.equal(minorToMajor(4500, "JPY"), "4500");
  assert.equal(minorToMajor(1005, "KWD"), "1.005");
  assert.equal(formatPrice(4500, "EUR"), "€45.00");
  assert.equal(formatPrice(4500, "JPY"), "JP¥4,500");
  assert.equal(formatPrice(123456789, "EUR"), "€1,234,567.89");
  assert.match(formatPrice(4500, "HUF"), /^HUF\s45\.00$/); // two decimals although CLDR says none
});

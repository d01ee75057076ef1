/**
 * The randomuser API's nationalities, in its order. Apart from randomuser.ts, which builds a user of each
 * from @faker-js/faker's locales: importing faker takes a fifth of a second, which every `runnel` command
 * paid when the users app's settings and model named these codes through it.
 */
export const NATIONALITY_CODES: readonly string[] = [
  'AU',
  'BR',
  'CA',
  'CH',
  'DE',
  'DK',
  'ES',
  'FI',
  'FR',
  'GB',
  'IE',
  'IN',
  'IR',
  'MX',
  'NL',
  'NO',
  'NZ',
  'RS',
  'TR',
  'UA',
  'US',
];

/**
 * `href` without the slashes it ends with, so a path can be appended to a configured base URL. A loop rather than
 * `replace(/\/+$/, "")`: that pattern retries at every slash of a long run that does not end the text, quadratic
 * time a configured URL could spend on the event loop.
 */
export function trimTrailingSlashes(href: string): string {
  let end = href.length;
  while (end > 0 && href.charCodeAt(end - 1) === 0x2f) end--;
  return href.slice(0, end);
}

// Local mode with no certificate step. The CometChat SDK writes every URL as https://, and the
// local emulator's certificate is self-signed, so a browser would refuse it until a person clicks
// through a warning. Instead the SDK is pointed at this page's own host under `path`, and its
// https:// URLs there are sent to this page's http:// origin, where the server forwards them to
// the emulator. http://127.0.0.1 and http://localhost are secure contexts, so nothing else changes.

/** Send the SDK's `https://{host}{path}/...` fetches to this origin; a no-op over https. */
export function routeToThisOrigin(path) {
  if (location.protocol !== "http:") return; // over https the SDK's own URL already works
  const secure = `https://${location.host}${path}/`;
  const plain = `${location.origin}${path}/`;
  const fetchFromPage = window.fetch.bind(window);
  window.fetch = (input, init) =>
    typeof input === "string" && input.startsWith(secure)
      ? fetchFromPage(plain + input.slice(secure.length), init)
      : fetchFromPage(input, init);
}

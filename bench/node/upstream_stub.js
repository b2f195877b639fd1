// CometChat's REST API as both servers under test call it, answered at once: new auth tokens,
// new users (with a token), and a success for anything else (token deletions).
const http = require("http");

let minted = 0;

function token(uid) {
  minted += 1;
  return `${uid}_${minted.toString(16).padStart(40, "0")}`;
}

function answer(req, body) {
  const now = Math.floor(Date.now() / 1000);
  const tokens = req.url.match(/^\/v3\/users\/([^/?]+)\/auth_tokens(?:\?.*)?$/);
  if (req.method === "POST" && tokens) {
    return { uid: tokens[1], authToken: token(tokens[1]), createdAt: now };
  }
  if (req.method === "POST" && req.url.startsWith("/v3/users")) {
    const user = JSON.parse(body || "{}");
    return { uid: user.uid, name: user.name, authToken: token(user.uid), createdAt: now };
  }
  return { success: true };
}

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const out = JSON.stringify({ data: answer(req, Buffer.concat(chunks).toString()) });
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(out),
      });
      res.end(out);
    });
  })
  .listen(Number(process.env.PORT), "127.0.0.1", () => console.log(`stub on ${process.env.PORT}`));

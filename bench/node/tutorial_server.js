// The tutorial's Express authentication server, rebuilt as the benchmark's peer: one hard-coded
// user, plain-text comparison, a GET login, and a new CometChat auth token on every sign-in.
const express = require("express");
const cors = require("cors");

const { PORT, COMETCHAT_API_BASE, COMETCHAT_APP_ID, COMETCHAT_REST_API_KEY } = process.env;

const users = [{ id: "test-user-id", email: "user@example.com", password: "password" }];

const app = express();
app.use(cors());

app.get("/login", async (req, res) => {
  const { email, password } = req.query;
  const user = users.find((u) => u.email === email && u.password === password);
  if (!user) {
    return res.status(401).json({ message: "Invalid email or password" });
  }
  const response = await fetch(`${COMETCHAT_API_BASE}/users/${user.id}/auth_tokens`, {
    method: "POST",
    headers: {
      appId: COMETCHAT_APP_ID,
      apiKey: COMETCHAT_REST_API_KEY,
      "Content-Type": "application/json",
      Accept: "application/json",
    },
  });
  const { data } = await response.json();
  res.json({ user: { id: user.id, email: user.email }, authToken: data.authToken });
});

app.listen(Number(PORT), "127.0.0.1", () => console.log(`tutorial server on ${PORT}`));

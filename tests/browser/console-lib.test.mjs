// The console's form helper that places the API's validationMessages at their fields, run in
// Node on the module the server serves (it needs no DOM for this).

import { test } from "node:test";
import assert from "node:assert/strict";
import { fieldFor } from "../../crates/server/assets/console/lib/form.js";

const fields = [
  { input: "email", names: ["email", "Email"] },
  { input: "managerEmail", names: ["managerEmail", "Manager Email"] },
  { input: "firstName", names: ["firstName", "First Name"] },
  { input: "costCenter", names: ["Cost Center"] },
  { input: "ip", names: ["10.0.0.300"] },
];
const at = (message) => fieldFor(message, fields)?.input ?? null;

test("a message goes to the field it names, by wire name or label, in any case", () => {
  assert.equal(at("Email 'x' is not a valid email address"), "email");
  assert.equal(at("email is required"), "email");
  assert.equal(at("First name must be at most 256 characters"), "firstName");
  assert.equal(at("firstName must not contain control characters"), "firstName");
  assert.equal(at("Custom field Cost Center is required"), "costCenter");
  assert.equal(at("Invalid ip address: 10.0.0.300"), "ip");
});

test("the longest name wins, and a name inside a word does not count", () => {
  assert.equal(at("Manager email 'y' is not a valid email address"), "managerEmail");
  assert.equal(at("managerEmail is invalid"), "managerEmail");
  assert.equal(at("Cost Centers are counted"), null);
});

test("a message that names no field is left for the summary", () => {
  assert.equal(at("A target user with this email already exists".replace("email", "address")), null);
  assert.equal(at("Invalid request"), null);
});

// The training workers as one (web/team.js): who gets which request.
import assert from "node:assert/strict";
import { test } from "node:test";

import { TrainingTeam, teamSize } from "../../web/team.js";

function fakeWorker(name, log) {
  return {
    request: async (type, fields = {}, transfer = []) => {
      log.push({ name, type, fields, transfer });
      return { from: name, type };
    },
    terminate: () => log.push({ name, type: "terminated" }),
  };
}

test("two cores or more make two workers, fewer one", () => {
  assert.equal(teamSize(1), 1);
  assert.equal(teamSize(2), 2);
  assert.equal(teamSize(16), 2);
  assert.equal(teamSize(0), 1);
});

test("a start goes to every worker with its part and a port; the leader's reply comes back", async () => {
  const log = [];
  const team = new TrainingTeam([fakeWorker("leader", log), fakeWorker("follower", log)]);
  const reply = await team.request("train-start", { seed: 7, settings: { lr: 0.01 } });
  assert.deepEqual(reply, { from: "leader", type: "train-start" });
  assert.deepEqual(log.map(({ name, fields: { part, parts, seed } }) => [name, part, parts, seed]),
    [["leader", 0, 2, 7], ["follower", 1, 2, 7]]);
  const [first, second] = log;
  assert.ok(first.fields.port instanceof MessagePort && second.fields.port instanceof MessagePort);
  assert.notEqual(first.fields.port, second.fields.port);
  assert.deepEqual(first.transfer, [first.fields.port]);
  for (const { fields } of log) fields.port.close();
});

test("everything else goes to the leader alone; terminate stops them all", async () => {
  const log = [];
  const team = new TrainingTeam([fakeWorker("leader", log), fakeWorker("follower", log)]);
  for (const type of ["train-pause", "train-resume", "train-settings", "train-weights", "stats"]) {
    assert.equal((await team.request(type, {})).from, "leader");
  }
  assert.ok(log.every(({ name }) => name === "leader"));
  team.terminate();
  assert.deepEqual(log.slice(-2).map(({ name, type }) => [name, type]), [["leader", "terminated"], ["follower", "terminated"]]);
});

test("one worker alone gets a plain start, no port", async () => {
  const log = [];
  const team = new TrainingTeam([fakeWorker("alone", log)]);
  await team.request("train-start", { seed: 1 });
  assert.equal(log[0].fields.port, undefined);
  assert.equal(team.size, 1);
});

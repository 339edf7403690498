import { startSandbox } from "./sandbox/sandbox";
async function main() {
  const cell = process.argv[2] ?? "alpha"; const t = process.argv[3] ?? "T-100";
  const sb = await startSandbox({ routerPort: 0, storeTimeoutMs: 400, cellTimeoutMs: 30000, log: (l) => { if (/"level":"(error|warn)"/.test(l)) console.log(l.slice(0, 400)); } });
  await sb.setStoreFaults(cell, { freeze: true });
  const t0 = Date.now();
  const r = await fetch(`${sb.routerUrl}/api/tenants/${t}/records/f-1`, { method: "PUT", headers: { "content-type": "application/json", "idempotency-key": `k-1` }, body: JSON.stringify({ data: { i: 1 } }) });
  console.log("status", r.status, "ms", Date.now() - t0, (await r.text()).slice(0, 200));
  await sb.setStoreFaults(cell, {});
  await sb.close();
}
main();

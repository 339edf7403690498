import { startSandbox } from "./sandbox/sandbox";
async function main() {
  const errors: string[] = [];
  const sb = await startSandbox({ routerPort: 0, storeTimeoutMs: 400, cellTimeoutMs: 15000, log: (l) => { if (/"status":500|"outcome":"internal"|status":5/.test(l) && !/"status":503/.test(l)) errors.push(l); } });
  await sb.setStoreFaults(process.argv[2] ?? "alpha", { dropAnswers: 0.35 });
  const statuses: Record<number, number> = {};
  const t = process.argv[3] ?? "T-100";
  await Promise.all([0,1,2,3].map(async (w) => { for (let i = w; i < 40; i += 4) {
    const r = await fetch(`${sb.routerUrl}/api/tenants/${t}/records/p-${i}`, { method: "PUT", headers: { "content-type": "application/json", "idempotency-key": `k-${i}` }, body: JSON.stringify({ data: { i } }) });
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const text = await r.text();
    if (r.status >= 400 && r.status !== 503) console.log(r.status, text.slice(0, 300));
    if (r.status === 201) { const r2 = await fetch(`${sb.routerUrl}/api/tenants/${t}/records/p-${i}`, { method: "PUT", headers: { "content-type": "application/json", "idempotency-key": `r-${i}` }, body: JSON.stringify({ data: { i, s: 2 }, expected_version: 1 }) }); statuses[r2.status] = (statuses[r2.status] ?? 0) + 1; const t2 = await r2.text(); if (r2.status >= 400 && r2.status !== 503) console.log(r2.status, t2.slice(0, 300)); }
  }}));
  console.log(statuses);
  for (const e of errors.slice(0, 6)) console.log(e.slice(0, 1800));
  await sb.close();
}
main();

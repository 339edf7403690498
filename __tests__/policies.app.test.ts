import { ALL_RULES, evaluatePolicies } from "../policies";
import { workerAuthRequired } from "../policies/rules/cloudflare/worker-auth-required";
import { workerCloudMode } from "../policies/rules/cloudflare/worker-cloud-mode";
import { workerKeysSecret } from "../policies/rules/cloudflare/worker-keys-secret";
import { workerNoAdminKey } from "../policies/rules/cloudflare/worker-no-admin-key";
import { TOPOLOGY } from "../topology";
import { synthApp } from "./support/app";

const script = (bindings: unknown[]) => ({ resource: { cloudflare_workers_script: { router: { bindings } } } });

describe("Cloudflare policy rules", () => {
  test("CF-WKR-1 passes secret key bindings and flags a plain-text one", () => {
    expect(evaluatePolicies(script([{ type: "secret_text", name: "CELL_KEY_ALPHA", text: "x" }]), [workerKeysSecret])).toEqual([]);
    expect(evaluatePolicies(script([{ type: "plain_text", name: "CELL_KEY_ALPHA", text: "x" }]), [workerKeysSecret])).toEqual([
      { ruleId: "CF-WKR-1", address: "cloudflare_workers_script.router", message: "cell key bindings must be secret_text: CELL_KEY_ALPHA" },
    ]);
  });

  test("CF-WKR-3 passes signing-key bindings and flags any binding that names or carries an admin key", () => {
    const signing = { type: "secret_text", name: "CELL_KEY_ALPHA", text: '${jsonencode({"keyId" = "alpha-v1", "secret" = data.terraform_remote_state.cell-alpha.outputs.cross-stack-output-random_passwordcell_signing-key_4F8186F6result})}' };
    expect(evaluatePolicies(script([signing]), [workerNoAdminKey])).toEqual([]);
    const leaked = { type: "secret_text", name: "CELL_KEY_ALPHA", text: '${jsonencode({"keyId" = "alpha-admin-v1", "secret" = data.terraform_remote_state.cell-alpha.outputs.cross-stack-output-random_passwordcell_admin-key_667760CBresult})}' };
    expect(evaluatePolicies(script([signing, leaked]), [workerNoAdminKey])).toEqual([
      { ruleId: "CF-WKR-3", address: "cloudflare_workers_script.router", message: expect.stringMatching(/bindings CELL_KEY_ALPHA carry an admin key/) },
    ]);
    expect(evaluatePolicies(script([{ type: "secret_text", name: "CELL_ADMIN_KEY_ALPHA", text: "x" }]), [workerNoAdminKey])).toHaveLength(1);
  });

  test("CF-WKR-2 passes cloud mode and flags local mode", () => {
    expect(evaluatePolicies(script([{ type: "plain_text", name: "ROUTER_MODE", text: "cloud" }]), [workerCloudMode])).toEqual([]);
    expect(evaluatePolicies(script([{ type: "plain_text", name: "ROUTER_MODE", text: "local" }]), [workerCloudMode])).toHaveLength(1);
  });

  test("CF-WKR-4 passes jwt auth and flags auth turned off or not set", () => {
    expect(evaluatePolicies(script([{ type: "plain_text", name: "AUTH_MODE", text: "jwt" }]), [workerAuthRequired])).toEqual([]);
    expect(evaluatePolicies(script([{ type: "plain_text", name: "AUTH_MODE", text: "none" }]), [workerAuthRequired])).toEqual([
      { ruleId: "CF-WKR-4", address: "cloudflare_workers_script.router", message: "AUTH_MODE is 'none': any client can act for any tenant it names" },
    ]);
    expect(evaluatePolicies(script([]), [workerAuthRequired])).toEqual([expect.objectContaining({ ruleId: "CF-WKR-4", message: expect.stringMatching(/AUTH_MODE is not set/) })]);
  });

  test("an app that turns auth off fails CF-WKR-4 unless it is suppressed with a reason", () => {
    const open = synthApp(TOPOLOGY, { router: { auth: { mode: "none" } } }).stacks.edge;
    const violations = evaluatePolicies(open, ALL_RULES);
    expect(violations.map((v) => v.ruleId)).toEqual(["CF-WKR-4"]);
    expect(evaluatePolicies(open, ALL_RULES, [{ ruleId: "CF-WKR-4", address: violations[0]!.address, reason: "internal-only router behind the corporate gateway" }])).toEqual([]);
  });

  test("a suppression needs a reason", () => {
    const bad = script([{ type: "plain_text", name: "ROUTER_MODE", text: "local" }]);
    expect(() => evaluatePolicies(bad, [workerCloudMode], [{ ruleId: "CF-WKR-2", address: "cloudflare_workers_script.router", reason: "" }])).toThrow(/needs a reason/);
    expect(evaluatePolicies(bad, [workerCloudMode], [{ ruleId: "CF-WKR-2", address: "cloudflare_workers_script.router", reason: "staging router pointed at a VPN loopback" }])).toEqual([]);
  });
});

describe("the real app", () => {
  test("every synthesized stack passes every policy rule, with no suppressions", () => {
    const app = synthApp();
    const violations = Object.entries(app.stacks).flatMap(([name, stack]) => evaluatePolicies(stack, ALL_RULES).map((v) => ({ stack: name, ...v })));
    expect(violations).toEqual([]);
    // The rules did look at something in every stack.
    for (const stack of Object.values(app.stacks)) {
      const types = Object.keys(stack.resource);
      expect(ALL_RULES.some((rule) => types.includes(rule.resourceType))).toBe(true);
    }
  });
});

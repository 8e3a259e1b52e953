// Tiny hand-assembled wasm modules with rolechain_policy.wasm's exports, for the
// cases the real module never gives: another ABI version, missing exports, a
// trap, a stack overflow, allocation failures.

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const I32 = 0x7f;

function uleb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n) {
  const out = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
const name = (s) => vec([...new TextEncoder().encode(s)].map((b) => [b]));

/** Parameter counts of the exports. */
const ARITY = {
  rolechain_abi_version: 0,
  rolechain_abi_minor_version: 0,
  rolechain_alloc: 1,
  rolechain_free: 1,
  rolechain_load: 2,
  rolechain_authorize: 3,
  rolechain_authorize_once: 2,
  rolechain_lint: 2,
  rolechain_unload: 1,
};

/**
 * A module exporting `memory` and every rolechain_* function. `bodies` maps an
 * export to what it does: a number (it returns that constant), "trap"
 * (`unreachable`) or "recurse" (calls itself forever). Default: return 0, and
 * the versions 1.0. Exports named in `omit` are left out.
 */
export function fakeModule({ major = 1, minor = 0, bodies = {}, omit = [] } = {}) {
  const names = Object.keys(ARITY).filter((n) => !omit.includes(n));
  const behaviour = { rolechain_abi_version: major, rolechain_abi_minor_version: minor, ...bodies };
  const types = [0, 1, 2, 3].map((arity) => [0x60, ...vec(Array.from({ length: arity }, () => [I32])), ...vec([[I32]])]);
  const functions = names.map((n) => [ARITY[n]]);
  const exports = [
    [...name("memory"), 0x02, 0x00],
    ...names.map((n, i) => [...name(n), 0x00, ...uleb(i)]),
  ];
  const bodiesBytes = names.map((n, i) => {
    const what = behaviour[n] ?? 0;
    let code;
    if (what === "trap") code = [0x00];
    else if (what === "recurse") code = [...Array.from({ length: ARITY[n] }, (_, p) => [0x20, p]).flat(), 0x10, ...uleb(i)];
    else code = [0x41, ...sleb(what)];
    const body = [0x00, ...code, 0x0b]; // no locals
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...MAGIC,
    ...section(1, vec(types)),
    ...section(3, vec(functions)),
    ...section(5, vec([[0x00, 0x01]])), // one page
    ...section(7, vec(exports)),
    ...section(10, vec(bodiesBytes)),
  ]);
}

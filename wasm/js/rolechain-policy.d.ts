// Type declarations of @rolechain/policy (rolechain-policy.mjs) and of the JSON
// shapes of rolechain_policy.wasm's ABI, as docs/wasm-abi.md gives them.

// ---------------------------------------------------------------------------
// Policy sets (rolechain_load, and `policies` of rolechain_authorize_once)
// ---------------------------------------------------------------------------

/** What a policy document is attached to; it decides the document's rules and size limit. */
export type PolicyKind =
  | "identity"
  | "managed"
  | "trust"
  | "resource"
  | "dynamodb-table"
  | "boundary"
  | "session"
  | "scp"
  | "rcp";

/** An IAM policy document written inline as an object (its JSON text is what positions refer to). */
export interface PolicyDocumentObject {
  Version?: string;
  Id?: string;
  Statement?: unknown;
  [element: string]: unknown;
}

/**
 * One policy of a set. `document` is the policy as JSON text, or inline as an
 * object; line and column in answers refer to the text (for an inline object:
 * to its text inside the set's JSON, which JSON.stringify writes on one line).
 */
export interface PolicySpec<K extends PolicyKind = PolicyKind> {
  /** The name used in explanations; defaults to the place, e.g. `identity[0]`. */
  id?: string;
  /** Defaults by place: identity, resource, boundary, session, scp, rcp. */
  kind?: K;
  document: string | PolicyDocumentObject;
}

/** A policy set: every member optional. */
export interface PolicySet {
  identity?: PolicySpec<"identity" | "managed">[];
  resource?: PolicySpec<"resource" | "trust" | "dynamodb-table">;
  permissionsBoundary?: PolicySpec<"boundary" | "managed">;
  /** An empty list means the session has no session policy. */
  session?: PolicySpec<"session">[];
  /** SCPs on the caller's organization path, one list per level (root, each OU, the account). */
  scpLevels?: PolicySpec<"scp">[][];
  /** RCPs on the resource account's organization path, one list per level. */
  rcpLevels?: PolicySpec<"rcp">[][];
}

// ---------------------------------------------------------------------------
// Requests (rolechain_authorize, and `request` of rolechain_authorize_once)
// ---------------------------------------------------------------------------

export interface RootPrincipal {
  type: "root";
  account: string;
}
export interface UserPrincipal {
  type: "user";
  arn: string;
}
export interface AssumedRolePrincipal {
  type: "assumedRole";
  /** The session ARN, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  arn: string;
  /** The role's ARN with its path; by default the path-less role ARN. */
  roleArn?: string;
}
export interface FederatedUserPrincipal {
  type: "federatedUser";
  arn: string;
}
export interface WebIdentityPrincipal {
  type: "webIdentity";
  provider: string;
}
export interface ServicePrincipal {
  type: "service";
  service: string;
}
export interface AnonymousPrincipal {
  type: "anonymous";
}

/** The caller. */
export type Principal =
  | RootPrincipal
  | UserPrincipal
  | AssumedRolePrincipal
  | FederatedUserPrincipal
  | WebIdentityPrincipal
  | ServicePrincipal
  | AnonymousPrincipal;

export type ContextScalar = string | number | boolean;
/** A condition key's value: one scalar, or an array of them for a multivalued key. */
export type ContextValue = ContextScalar | ContextScalar[];

export interface Request {
  principal: Principal;
  action: string;
  resource: string;
  /** Default: the ARN's account; for an ARN without one, the caller's account. */
  resourceAccount?: string;
  /** Every condition key of the request; names are case-insensitive, empty strings count as no value. */
  context?: Record<string, ContextValue>;
}

/** The input of rolechain_authorize_once. */
export interface AuthorizeOnceInput {
  policies: PolicySet;
  request: Request;
}

// ---------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------

export type DecisionKind = "allowed" | "explicitDeny" | "implicitDeny";

/** The type of policy as explanations and AWS's access-denied messages name it. */
export type PolicyType =
  | "identity"
  | "resource"
  | "roleTrust"
  | "permissionsBoundary"
  | "session"
  | "serviceControl"
  | "resourceControl";

export type Effect = "Allow" | "Deny";

/** A statement that applied to the request. */
export interface MatchedStatement {
  policyId: string;
  policyType: PolicyType;
  /** Index of the statement in its policy, from 0. */
  statementIndex: number;
  /** Present when the statement has a Sid. */
  sid?: string;
  effect: Effect;
  line: number;
  column: number;
}

interface DecisionBase {
  /** Deny statements of the type reported (explicit deny), allow statements that granted access (allow), or none. */
  decidingStatements: MatchedStatement[];
  /** Every statement whose principal, action, resource and conditions matched. */
  matchedStatements: MatchedStatement[];
  /** Condition keys that statements about this action and resource looked for and the request lacked. */
  missingContextKeys: string[];
}

export interface AllowedDecision extends DecisionBase {
  decision: "allowed";
  deniedBy?: undefined;
  message?: undefined;
}

export interface DeniedDecision extends DecisionBase {
  decision: "explicitDeny" | "implicitDeny";
  /** The type of policy responsible. */
  deniedBy: PolicyType;
  /** AWS's access-denied message. */
  message: string;
}

/** The answer of authorize and authorizeOnce. `deniedBy` and `message` are present for denials only. */
export type Decision = AllowedDecision | DeniedDecision;

// ---------------------------------------------------------------------------
// Lint
// ---------------------------------------------------------------------------

export type Severity = "ERROR" | "SECURITY_WARNING" | "WARNING" | "SUGGESTION";

/** The codes of docs/lint.md; a newer module may add codes. */
export type LintCode =
  | "ALLOW_WITH_NOT_PRINCIPAL"
  | "ASSUMED_ROLE_SESSION_PRINCIPAL"
  | "CONDITION_KEY_CASE"
  | "DUPLICATE_ELEMENT"
  | "DUPLICATE_KEYS_WITH_DIFFERENT_CASE"
  | "DUPLICATE_SID"
  | "EMPTY_ARRAY_ACTION"
  | "EMPTY_ARRAY_CONDITION"
  | "EMPTY_ARRAY_CONDITION_FOR_ALL_VALUES"
  | "EMPTY_ARRAY_CONDITION_FOR_ANY_VALUE"
  | "EMPTY_ARRAY_CONDITION_IF_EXISTS"
  | "EMPTY_ARRAY_PRINCIPAL"
  | "EMPTY_ARRAY_RESOURCE"
  | "EMPTY_OBJECT_CONDITION"
  | "EMPTY_OBJECT_PRINCIPAL"
  | "EMPTY_SID_VALUE"
  | "FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY"
  | "IMPROVE_IP_RANGE"
  | "INVALID_ACTION"
  | "INVALID_ARN"
  | "INVALID_CHARACTER"
  | "INVALID_CONDITION_KEY"
  | "INVALID_CONDITION_MULTIPLE_BOOLEAN"
  | "INVALID_CONDITION_OPERATOR"
  | "INVALID_DOCUMENT"
  | "INVALID_EFFECT"
  | "INVALID_ELEMENT_TYPE"
  | "INVALID_OIDC_CONDITION_KEY"
  | "INVALID_PRINCIPAL"
  | "INVALID_VARIABLE_FOR_OPERATOR"
  | "INVALID_VERSION"
  | "JSON_SYNTAX_ERROR"
  | "LIKE_OPERATOR_WITHOUT_WILDCARD"
  | "MISSING_ACTION"
  | "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL"
  | "MISSING_EFFECT"
  | "MISSING_GITHUB_REPO_CONDITION_KEY"
  | "MISSING_PRINCIPAL"
  | "MISSING_RESOURCE"
  | "MISSING_STATEMENT"
  | "MISSING_VERSION"
  | "MULTIVALUED_KEY_WITHOUT_QUALIFIER"
  | "OIDC_PRINCIPAL_WITHOUT_SUB_CONDITION"
  | "PASS_ROLE_WITH_NOT_RESOURCE"
  | "PASS_ROLE_WITH_STAR_IN_RESOURCE"
  | "PLACEHOLDER_IN_VALUE"
  | "POLICY_SIZE_EXCEEDED"
  | "REDUNDANT_ACTION"
  | "REDUNDANT_RESOURCE"
  | "REDUNDANT_STATEMENT"
  | "TRUST_ACTION_MISMATCH"
  | "TYPE_MISMATCH_BINARY"
  | "TYPE_MISMATCH_BOOLEAN"
  | "TYPE_MISMATCH_DATE"
  | "TYPE_MISMATCH_IP_RANGE"
  | "TYPE_MISMATCH_NUMBER"
  | "UNKNOWN_CONDITION_KEY"
  | "UNKNOWN_ELEMENT"
  | "UNSUPPORTED_NOT_PRINCIPAL"
  | "UNSUPPORTED_PRINCIPAL"
  | "UNSUPPORTED_RESOURCE"
  | "UNSUPPORTED_SID"
  | "VARIABLE_UNSUPPORTED_IN_VERSION"
  | "WILDCARD_PRINCIPAL"
  | "WILDCARD_WITHOUT_LIKE_OPERATOR"
  | (string & {});

/** Where a finding's element starts: 1-based line and column, 0-based byte offset. */
export interface Position {
  line: number;
  column: number;
  offset: number;
}

export interface Finding {
  severity: Severity;
  code: LintCode;
  message: string;
  /** What to change, when there is something to say. */
  fix?: string;
  position: Position;
}

export interface LintReport {
  /** The kind the document was checked as. */
  kind: PolicyKind;
  /** True when the kind was guessed from the document's shape. */
  kindInferred: boolean;
  /** Every finding, sorted by position. */
  findings: Finding[];
}

/** The input of rolechain_lint. */
export interface LintInput {
  document: string;
  kind?: PolicyKind;
}

// ---------------------------------------------------------------------------
// Answers and errors
// ---------------------------------------------------------------------------

/** The answer of rolechain_load. */
export interface Loaded {
  handle: number;
}

/** Codes the module answers with. */
export type ModuleErrorCode =
  | "InvalidInput"
  | "InputTooLarge"
  | "InvalidPointer"
  | "UnknownHandle"
  | "TooManyPolicySets"
  | "MalformedPolicyDocument"
  | "LimitExceeded"
  | "InternalError";

/**
 * Codes this host raises itself: `Trap` (the module trapped; the instance was
 * replaced), `OutOfMemory` (the module could not allocate; the instance was
 * replaced), `IncompatibleModule` (not rolechain_policy.wasm, or an ABI major
 * version other than 1). The host also raises `UnknownHandle` for handles it
 * never gave, and `InputTooLarge` for inputs past the module's 16 MiB allocator.
 */
export type HostErrorCode = "Trap" | "OutOfMemory" | "IncompatibleModule";

export type ErrorCode = ModuleErrorCode | HostErrorCode;

/** The module's error object: `{"error": ErrorDetails}`. */
export interface ErrorDetails {
  code: ErrorCode | (string & {});
  message: string;
  /** InvalidInput: where in the input, e.g. `request.principal.type` ("" for the whole input). */
  path?: string;
  /** InvalidInput: position in the input; MalformedPolicyDocument/LimitExceeded: in the policy's text. */
  line?: number;
  column?: number;
  /** A refused policy's place in the set, e.g. `scpLevels[1][0]`. */
  place?: string;
  /** A refused policy's id (its place when it has none). */
  policyId?: string;
  /** MalformedPolicyDocument/LimitExceeded: every error of the refused document. */
  findings?: Finding[];
}

/** An envelope as the module writes it. */
export type Envelope<T> = { ok: T } | { error: ErrorDetails };

/** Thrown for every error the module answers, and for the host's own (see HostErrorCode). */
export class PolicyEngineError extends Error {
  constructor(code: string, message: string, details?: ErrorDetails, options?: { cause?: unknown });
  readonly name: "PolicyEngineError";
  readonly code: ErrorCode | (string & {});
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
  readonly place?: string;
  readonly policyId?: string;
  readonly findings?: Finding[];
  /** The module's whole error object. */
  readonly details: ErrorDetails;
}

// ---------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------

/** The ABI major version this host speaks: 1. */
export declare const ABI_MAJOR_VERSION: 1;
/** The largest input the module accepts: 8 MiB. */
export declare const MAX_INPUT_BYTES: number;

export interface AbiVersion {
  readonly major: number;
  readonly minor: number;
}

/** A handle of a loaded policy set. It stays valid until unloaded, even across a trap. */
export type PolicySetHandle = number;

/** What PolicyEngine.load reads the module from. */
export type ModuleSource =
  | ArrayBuffer
  | ArrayBufferView
  | WebAssembly.Module
  | URL
  | Response
  | PromiseLike<Response>;

export declare class PolicyEngine {
  /** Use PolicyEngine.load. */
  constructor(module: WebAssembly.Module, instance: WebAssembly.Instance);

  /**
   * Compiles and instantiates rolechain_policy.wasm (streaming for a Response
   * where the runtime can) and checks that its ABI major version is 1. A `file:`
   * URL is read with node:fs in Node.
   */
  static load(source: ModuleSource): Promise<PolicyEngine>;

  /** The module's ABI version. */
  readonly abiVersion: AbiVersion;
  /** The compiled module, to make more engines without compiling again. */
  readonly module: WebAssembly.Module;
  /** The current instance (replaced by a fresh one after a trap); for diagnostics and tests. */
  readonly instance: WebAssembly.Instance | null;
  /** How many policy sets are loaded. */
  readonly loadedPolicySets: number;

  /** Resolves when the engine can answer (only while restarting after a trap in a browser can it not). */
  ready(): Promise<void>;

  /** Loads a policy set (an object or its JSON text); answers its handle. */
  loadPolicySet(set: PolicySet | string): PolicySetHandle;
  /** Decides a request (an object or its JSON text) against a loaded set. */
  authorize(handle: PolicySetHandle, request: Request | string): Decision;
  /** authorize with JSON text in and the decision's JSON text out. */
  authorizeJson(handle: PolicySetHandle, requestJson: string): string;
  /** Loads, decides and forgets in one call. */
  authorizeOnce(policies: PolicySet | string, request: Request | string): Decision;
  /**
   * Every finding in a policy document (its text; an object is written with
   * JSON.stringify(document, null, 2)). The kind is inferred when absent.
   */
  lint(document: string | PolicyDocumentObject, kind?: PolicyKind): LintReport;
  /** Forgets a loaded set. */
  unload(handle: PolicySetHandle): void;
}

/** Node only: reads the module from a path or file: URL and loads it. */
export declare function loadFromFile(path: string | URL): Promise<PolicyEngine>;

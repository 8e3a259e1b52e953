"""rolechain's IAM policy engine (``rolechain_policy.wasm``) hosted in wasmtime.

The module and its JSON ABI are described in ``docs/wasm-abi.md``. This host:

* compiles the module once per process (one wasmtime ``Engine``, one compiled
  ``Module`` per distinct module bytes) and gives every :class:`PolicyEngine`
  its own ``Store`` and instance;
* bounds every call by fuel (always) and, optionally, by wall-clock time
  (epoch interruption), and bounds the instance's memory;
* turns ``{"error": {...}}`` answers into :class:`PolicyEngineError`, and a
  trap or a blown bound into ``PolicyEngineError(code="Trap")`` (or
  ``"OutOfMemory"``), after which the instance is replaced by a fresh one and
  the policy sets loaded before are reported lost (``UnknownHandle``).

Example::

    from rolechain_policy import PolicyEngine
    engine = PolicyEngine.from_file("target/rolechain_policy.wasm")
    handle = engine.load_policy_set({"identity": [{"document": {...}}]})
    decision = engine.authorize(handle, {"principal": {...}, "action": "s3:GetObject", "resource": "..."})
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import os
import threading
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import wasmtime

__all__ = [
    "ABI_MAJOR_VERSION",
    "DEFAULT_FUEL",
    "DEFAULT_MEMORY_LIMIT",
    "MAX_INPUT_BYTES",
    "PolicyEngine",
    "PolicyEngineError",
    "RawExports",
    "to_json",
]

__version__ = "0.1.0"

#: The ABI major version this host is written for (docs/wasm-abi.md).
ABI_MAJOR_VERSION = 1
#: Inputs over this many bytes are refused by the module (``InputTooLarge``);
#: the host refuses them without a round trip.
MAX_INPUT_BYTES = 8 * 1024 * 1024
#: Fuel (about one unit a wasm instruction) one call may use. Deciding the
#: 10-statement benchmark request takes 0.25 M; loading an 8 MiB policy set
#: (33,000 statements) 5,000 M. The default is 4 times that: about 2.5 s of
#: work on a 2024 x86 core, after which a runaway call is stopped.
DEFAULT_FUEL = 20_000_000_000
#: Linear memory the instance may grow to (bytes).
DEFAULT_MEMORY_LIMIT = 512 * 1024 * 1024

#: Per-call JSON (what goes into the module): compact, key order kept, non-ASCII
#: as is -- the same text ``JSON.stringify`` gives, so positions inside inline
#: policy documents agree with the JavaScript host.
JSONInput = Union[str, bytes, bytearray, Mapping[str, Any]]

_INITIAL_INPUT_BUFFER = 64 * 1024
_EPOCH_PERIOD = 0.005  # seconds between epoch ticks when a timeout is in use
_NO_DEADLINE = 1 << 40
_MAX_LOST_REMEMBERED = 65536  # lost handles reported as lost (older ones: just unknown)


class PolicyEngineError(Exception):
    """An error answer of the module, or a failure of the host around it.

    ``code`` is one of the ABI's codes (``InvalidInput``, ``InputTooLarge``,
    ``InvalidPointer``, ``UnknownHandle``, ``TooManyPolicySets``,
    ``MalformedPolicyDocument``, ``LimitExceeded``, ``InternalError``) or one
    of the host's: ``Trap`` (the call trapped or ran over its fuel or time
    bound), ``OutOfMemory`` (the instance ran out of memory), ``IncompatibleModule``
    (not a module, not rolechain_policy.wasm, or its ABI major version is not 1).
    The host codes are the JavaScript host's (wasm/js) too.
    ``details`` holds the error's other fields (``path``, ``line``, ``column``,
    ``place``, ``policyId``, ``findings``, ...).
    """

    def __init__(self, code: str, message: str, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code: str = code
        self.message: str = message
        self.details: Dict[str, Any] = dict(details or {})

    @classmethod
    def from_answer(cls, error: Mapping[str, Any]) -> "PolicyEngineError":
        details = {k: v for k, v in error.items() if k not in ("code", "message")}
        return cls(str(error.get("code", "InternalError")), str(error.get("message", "")), details)

    def __repr__(self) -> str:
        return f"PolicyEngineError(code={self.code!r}, message={self.message!r}, details={self.details!r})"


def to_json(value: JSONInput, what: str = "input") -> bytes:
    """The UTF-8 JSON text handed to the module for ``value``.

    ``str``/``bytes`` are taken as JSON text already and passed as they are;
    anything else is serialised compactly (``separators=(",", ":")``,
    ``ensure_ascii=False``), like JavaScript's ``JSON.stringify``.
    """
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        # surrogatepass: a lone surrogate reaches the module as bad UTF-8 and is
        # answered with InvalidInput, like any other bad byte.
        return value.encode("utf-8", "surrogatepass")
    return _dumps(value, what).encode("utf-8", "surrogatepass")


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise PolicyEngineError("InvalidInput", f"the {what} cannot be written as JSON: {e}") from e


def _json_fragment(value: JSONInput, what: str) -> str:
    """``value`` as JSON text to splice into a larger document."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "surrogateescape")
    if isinstance(value, str):
        return value
    return _dumps(value, what)


# --------------------------------------------------------------------------
# One wasmtime Engine per process, one compiled Module per distinct module.

_shared_lock = threading.Lock()
_shared_engine: Optional[wasmtime.Engine] = None
_modules: Dict[str, wasmtime.Module] = {}
_ticker: Optional[threading.Thread] = None


def _engine() -> wasmtime.Engine:
    global _shared_engine
    with _shared_lock:
        if _shared_engine is None:
            config = wasmtime.Config()
            config.consume_fuel = True
            config.epoch_interruption = True
            _shared_engine = wasmtime.Engine(config)
        return _shared_engine


def _compile(module_bytes: bytes) -> wasmtime.Module:
    key = hashlib.sha256(module_bytes).hexdigest()
    engine = _engine()
    with _shared_lock:
        module = _modules.get(key)
    if module is None:
        try:
            module = wasmtime.Module(engine, module_bytes)
        except wasmtime.WasmtimeError as e:
            raise PolicyEngineError("IncompatibleModule", f"the bytes are not a WebAssembly module wasmtime accepts: {e}") from e
        with _shared_lock:
            module = _modules.setdefault(key, module)
    return module


def _start_ticker() -> None:
    """Starts (once) the daemon thread that advances the engine's epoch."""
    global _ticker
    engine = _engine()
    with _shared_lock:
        if _ticker is not None:
            return

        def tick() -> None:
            while True:
                time.sleep(_EPOCH_PERIOD)
                engine.increment_epoch()

        _ticker = threading.Thread(target=tick, name="rolechain-policy-epoch", daemon=True)
        _ticker.start()


# --------------------------------------------------------------------------
# One instance: its store, exports and the reusable input buffer.

#: The module's functions and their number of i32 parameters (each returns one i32).
_EXPORTS: Dict[str, int] = {
    "rolechain_abi_version": 0,
    "rolechain_abi_minor_version": 0,
    "rolechain_alloc": 1,
    "rolechain_free": 1,
    "rolechain_load": 2,
    "rolechain_authorize": 3,
    "rolechain_authorize_once": 2,
    "rolechain_lint": 2,
    "rolechain_unload": 1,
}


#: Call exports through wasmtime's C API directly (see _direct_caller); the
#: public ``Func.__call__`` looks the function's type up and converts every
#: value on every call, which costs more than a whole decision.
_DIRECT_CALLS = True


def _direct_caller(store: wasmtime.Store, func: wasmtime.Func, params: int) -> Optional[Callable[..., int]]:
    """A caller of ``func`` (i32 params -> one i32) over ``wasmtime_func_call``, or None.

    This uses wasmtime-py's own ctypes bindings (``wasmtime._ffi``), which are
    not public API: the dependency is pinned to an exact version, and when the
    bindings are not as expected the public ``Func.__call__`` is used instead.
    """
    if not _DIRECT_CALLS:
        return None
    try:
        from wasmtime import _ffi as ffi

        context = store._context()
        func_ref = ctypes.byref(func._func)
        call_ffi = ffi.wasmtime_func_call
        val_t = ffi.wasmtime_val_t
        trap_ptr_t = ctypes.POINTER(ffi.wasm_trap_t)
        i32 = ffi.WASMTIME_I32.value
        from_error = wasmtime.WasmtimeError._from_ptr
        from_trap = wasmtime.Trap._from_ptr
    except (ImportError, AttributeError, TypeError):
        return None
    args = (val_t * max(params, 1))()
    for i in range(params):
        args[i].kind = i32  # type: ignore[assignment]  # a c_uint8 field takes an int
    results = (val_t * 1)()
    byref = ctypes.byref

    def call(*values: int) -> int:
        for i, value in enumerate(values):
            args[i].of.i32 = value
        trap = trap_ptr_t()
        error = call_ffi(context, func_ref, args, params, results, 1, byref(trap))
        if error:
            raise from_error(error)
        if trap:
            raise from_trap(trap)
        return int(results[0].of.i32)

    return call


class _Instance:
    def __init__(self, module: wasmtime.Module, memory_limit: int) -> None:
        self.store = wasmtime.Store(_engine())
        self.store.set_limits(memory_size=memory_limit)
        # Instantiation runs no code of ours (no start function), but give it fuel anyway.
        self.store.set_fuel(DEFAULT_FUEL)
        self.store.set_epoch_deadline(_NO_DEADLINE)
        instance = wasmtime.Instance(self.store, module, [])
        exports = instance.exports(self.store)
        missing = [name for name in [*_EXPORTS, "memory"] if name not in exports]
        if missing:
            raise PolicyEngineError(
                "IncompatibleModule", f"the module does not export {', '.join(missing)}: it is not rolechain_policy.wasm"
            )
        memory = exports["memory"]
        if not isinstance(memory, wasmtime.Memory):
            raise PolicyEngineError("IncompatibleModule", "the module's `memory` export is not a memory")
        self.memory: wasmtime.Memory = memory
        self.calls: Dict[str, Callable[..., int]] = {}
        for name in _EXPORTS:
            func = exports[name]
            ty = func.type(self.store) if isinstance(func, wasmtime.Func) else None
            if (
                not isinstance(func, wasmtime.Func)
                or ty is None
                or [str(p) for p in ty.params] != ["i32"] * _EXPORTS[name]
                or [str(r) for r in ty.results] != ["i32"]
            ):
                raise PolicyEngineError(
                    "IncompatibleModule",
                    f"the module's `{name}` is not a function of {_EXPORTS[name]} i32 to one i32: "
                    "it is not rolechain_policy.wasm",
                )
            direct = _direct_caller(self.store, func, _EXPORTS[name])
            self.calls[name] = direct if direct is not None else self._public_caller(func)
        self.input_ptr = 0
        self.input_cap = 0

    def _public_caller(self, func: wasmtime.Func) -> Callable[..., int]:
        store = self.store
        return lambda *args: int(func(store, *args))

    # Memory: the base address can move whenever the module grows its memory,
    # so it is looked up again for every access.
    def _base(self, start: int, length: int) -> int:
        size = self.memory.data_len(self.store)
        if start < 0 or length < 0 or start + length > size:
            raise PolicyEngineError(
                "InvalidPointer", f"{length} bytes at {start} are outside the module's memory ({size} bytes)"
            )
        return ctypes.addressof(self.memory.data_ptr(self.store).contents)

    def write(self, ptr: int, data: bytes) -> None:
        base = self._base(ptr, len(data))
        if data:
            ctypes.memmove(base + ptr, data, len(data))

    def read(self, ptr: int, length: int) -> bytes:
        base = self._base(ptr, length)
        return ctypes.string_at(base + ptr, length) if length else b""

    def read_result(self, result: int) -> bytes:
        """The JSON of a result buffer (u32 LE length, then the bytes)."""
        size = self.memory.data_len(self.store)
        if result <= 0 or result + 4 > size:
            raise PolicyEngineError("InternalError", f"the result address {result} is outside the module's memory")
        base = ctypes.addressof(self.memory.data_ptr(self.store).contents)
        length = int.from_bytes(ctypes.string_at(base + result, 4), "little")
        if result + 4 + length > size:
            raise PolicyEngineError("InternalError", f"the result at {result} claims {length} bytes, past the module's memory")
        return ctypes.string_at(base + result + 4, length)

    def call(self, name: str, *args: int) -> int:
        return self.calls[name](*args)

    def input(self, data: bytes) -> Tuple[int, int]:
        """Writes ``data`` into the reusable input buffer, growing it as needed."""
        if self.input_ptr == 0 or len(data) > self.input_cap:
            if self.input_ptr:
                self.call("rolechain_free", self.input_ptr)
                self.input_ptr, self.input_cap = 0, 0
            # The next power of two from 64 KiB, at most the input limit.
            cap = _INITIAL_INPUT_BUFFER
            while cap < len(data):
                cap *= 2
            cap = max(min(cap, MAX_INPUT_BYTES), len(data))
            ptr = self.call("rolechain_alloc", cap)
            if ptr == 0:
                raise _Exhausted(f"rolechain_alloc could not give a buffer of {cap} bytes for the input")
            self.input_ptr, self.input_cap = ptr, cap
        self.write(self.input_ptr, data)
        return self.input_ptr, len(data)


class _Exhausted(Exception):
    """The module could not allocate (memory limit reached)."""


# --------------------------------------------------------------------------


class PolicyEngine:
    """One instance of ``rolechain_policy.wasm`` and the policy sets loaded into it.

    ``module`` is the module's bytes (compiled once per process and shared by
    every engine given the same bytes). ``fuel`` bounds each call (``None``: no bound);
    ``timeout`` (seconds, optional) bounds each call in wall-clock time;
    ``memory_limit`` bounds the instance's linear memory in bytes.

    Not for concurrent use from several threads at once: calls are serialised
    with a lock, which makes that safe but not parallel; use one engine per thread
    for parallelism.
    """

    def __init__(
        self,
        module: Union[bytes, bytearray, memoryview],
        *,
        fuel: Optional[int] = DEFAULT_FUEL,
        timeout: Optional[float] = None,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        if not isinstance(module, (bytes, bytearray, memoryview)):
            raise TypeError(f"module must be the module's bytes, not {type(module).__name__}")
        self._module = _compile(bytes(module))
        self._fuel: Optional[int] = None
        self._timeout: Optional[float] = None
        self.fuel = fuel
        self.timeout = timeout
        if memory_limit <= 0:
            raise ValueError("memory_limit must be a positive number of bytes")
        #: Applies to the next instance (after a reset); the current one keeps its limit.
        self.memory_limit: int = memory_limit
        self._lock = threading.RLock()
        self._instance: Optional[_Instance] = None
        # Host handles -> the module's handles in the current instance. A fresh
        # instance numbers its sets from 1 again, so handles are the host's own.
        self._handles: Dict[int, int] = {}
        self._lost: Dict[int, str] = {}
        self._next_handle = 1
        self._resets = 0
        self._last_lost: List[int] = []
        instance = self._live()
        self.abi_version: int = instance.call("rolechain_abi_version")
        self.abi_minor_version: int = instance.call("rolechain_abi_minor_version")
        if self.abi_version != ABI_MAJOR_VERSION:
            raise PolicyEngineError(
                "IncompatibleModule",
                f"the module speaks ABI {self.abi_version}.{self.abi_minor_version}; "
                f"this host knows ABI {ABI_MAJOR_VERSION}.x only -- use a rolechain_policy.wasm of ABI {ABI_MAJOR_VERSION}",
                {"abiVersion": self.abi_version, "abiMinorVersion": self.abi_minor_version},
            )

    @property
    def fuel(self) -> Optional[int]:
        """Fuel each call may use (about a wasm instruction a unit); None: no bound."""
        return self._fuel

    @fuel.setter
    def fuel(self, fuel: Optional[int]) -> None:
        if fuel is not None and (not isinstance(fuel, int) or fuel <= 0):
            raise ValueError("fuel must be a positive int (or None for no bound)")
        self._fuel = fuel

    @property
    def timeout(self) -> Optional[float]:
        """Seconds each call may run (to the epoch tick, 5 ms); None: no bound."""
        return self._timeout

    @timeout.setter
    def timeout(self, timeout: Optional[float]) -> None:
        if timeout is not None:
            if not timeout > 0:
                raise ValueError("timeout must be a positive number of seconds (or None)")
            _start_ticker()
        self._timeout = timeout

    @classmethod
    def from_file(
        cls,
        path: Union[str, "os.PathLike[str]"],
        *,
        fuel: Optional[int] = DEFAULT_FUEL,
        timeout: Optional[float] = None,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
    ) -> "PolicyEngine":
        """An engine running the module in the file at ``path``."""
        with open(path, "rb") as f:
            data = f.read()
        return cls(data, fuel=fuel, timeout=timeout, memory_limit=memory_limit)

    # ---------------------------------------------------------------- calls

    def load_policy_set(self, policy_set: JSONInput) -> int:
        """Loads a policy set (a dict, or its JSON text); returns its handle."""
        with self._lock:
            answer = self._ok(self._call("rolechain_load", (), to_json(policy_set, "policy set")))
            module_handle = int(answer["handle"])
            handle = self._next_handle
            self._next_handle += 1
            self._handles[handle] = module_handle
            return handle

    def authorize(self, handle: int, request: JSONInput) -> Dict[str, Any]:
        """Decides ``request`` (a dict, or its JSON text) against the set loaded under ``handle``."""
        return self._ok(self._authorize(handle, to_json(request, "request")))  # type: ignore[no-any-return]

    def authorize_json(self, handle: int, request_json: Union[str, bytes]) -> str:
        """Like :meth:`authorize`, JSON text in and the decision's JSON text out."""
        if not isinstance(request_json, (str, bytes, bytearray)):
            raise TypeError("authorize_json takes the request as JSON text (str or bytes)")
        answer = self._authorize(handle, to_json(request_json)).decode("utf-8")
        # The envelope is {"ok":VALUE} or {"error":{...}}: cut the decision out
        # without parsing it, and parse only what is not that exact shape.
        if answer.startswith('{"ok":') and answer.endswith("}"):
            return answer[6:-1]
        return _dumps(self._ok(answer.encode("utf-8")), "decision")

    def authorize_once(self, policies: JSONInput, request: JSONInput) -> Dict[str, Any]:
        """Loads ``policies``, decides ``request`` and forgets the set, in one call."""
        text = (
            '{"policies":'
            + _json_fragment(policies, "policy set")
            + ',"request":'
            + _json_fragment(request, "request")
            + "}"
        )
        with self._lock:
            return self._ok(self._call("rolechain_authorize_once", (), to_json(text)))  # type: ignore[no-any-return]

    def lint(self, document: Union[str, Mapping[str, Any]], kind: Optional[str] = None) -> Dict[str, Any]:
        """Every finding in a policy document (its JSON text, or a dict)."""
        text = document if isinstance(document, str) else _dumps(document, "policy document")
        call: Dict[str, Any] = {"document": text}
        if kind is not None:
            call["kind"] = kind
        with self._lock:
            return self._ok(self._call("rolechain_lint", (), to_json(call, "lint call")))  # type: ignore[no-any-return]

    def unload(self, handle: int) -> None:
        """Forgets the set loaded under ``handle``."""
        with self._lock:
            module_handle = self._module_handle(handle)
            self._ok(self._call("rolechain_unload", (module_handle,), None))
            del self._handles[handle]

    @property
    def handles(self) -> List[int]:
        """The handles of the policy sets loaded now."""
        with self._lock:
            return sorted(self._handles)

    @property
    def resets(self) -> int:
        """How many times the instance was replaced after a trap or a blown bound."""
        return self._resets

    @property
    def raw(self) -> "RawExports":
        """The module's exports, unwrapped: for ABI tests and experiments."""
        return RawExports(self)

    # ------------------------------------------------------------ internals

    def _authorize(self, handle: int, request: bytes) -> bytes:
        with self._lock:
            module_handle = self._module_handle(handle)
            return self._call("rolechain_authorize", (module_handle,), request)

    def _module_handle(self, handle: int) -> int:
        if not isinstance(handle, int) or isinstance(handle, bool):
            raise TypeError(f"a handle is an int from load_policy_set, not {type(handle).__name__}")
        try:
            return self._handles[handle]
        except KeyError:
            reason = self._lost.get(handle)
            if reason is not None:
                raise PolicyEngineError(
                    "UnknownHandle",
                    f"the policy set loaded under handle {handle} was lost when {reason}; load it again",
                    {"handle": handle, "lost": True},
                ) from None
            raise PolicyEngineError(
                "UnknownHandle", f"no policy set is loaded under handle {handle}", {"handle": handle}
            ) from None

    def _live(self) -> _Instance:
        if self._instance is None:
            self._instance = _Instance(self._module, self.memory_limit)
        return self._instance

    def _arm(self, instance: _Instance) -> None:
        """Sets this call's fuel and time bounds."""
        store = instance.store
        store.set_fuel(self.fuel if self.fuel is not None else (1 << 62))
        if self.timeout is not None:
            store.set_epoch_deadline(math.ceil(self.timeout / _EPOCH_PERIOD) + 1)
        else:
            store.set_epoch_deadline(_NO_DEADLINE)

    def _call(self, export: str, args: Tuple[int, ...], data: Optional[bytes]) -> bytes:
        """Calls ``export`` (with the input written to the buffer, if any) and returns its answer's JSON."""
        if data is not None and len(data) > MAX_INPUT_BYTES:
            raise PolicyEngineError(
                "InputTooLarge", f"the input is {len(data)} bytes; the limit is {MAX_INPUT_BYTES}", {"length": len(data)}
            )
        instance = self._live()
        self._arm(instance)
        try:
            if data is not None:
                ptr, length = instance.input(data)
                args = args + (ptr, length)
            result = instance.call(export, *args)
            if result == 0:
                raise _Exhausted(f"{export} could not allocate its answer")
            answer = instance.read_result(result)
            instance.call("rolechain_free", result)
            return answer
        except _Exhausted as e:
            self._reset(f"the instance ran out of memory (limit {self.memory_limit} bytes)")
            raise PolicyEngineError(
                "OutOfMemory",
                f"{e}: the instance reached its memory limit of {self.memory_limit} bytes; "
                f"it was replaced by a fresh one{self._lost_note()}",
                {"memoryLimit": self.memory_limit, "lostHandles": self._last_lost},
            ) from None
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            raise self._trap(export, e) from e

    def _trap(self, export: str, e: Exception) -> PolicyEngineError:
        code = e.trap_code if isinstance(e, wasmtime.Trap) else None
        details: Dict[str, Any] = {"trap": code.name if code is not None else None, "export": export}
        if code == wasmtime.TrapCode.OUT_OF_FUEL:
            why = f"it used up its fuel budget ({self.fuel} units)"
        elif code == wasmtime.TrapCode.INTERRUPT:
            why = f"it ran past its time limit ({self.timeout} s)"
        else:
            lines = [line.strip() for line in str(e).splitlines() if line.strip()]
            why = f"it trapped ({lines[-1] if lines else type(e).__name__})"
            instance = self._instance
            if instance is not None:
                # A failed allocation aborts the module (`unreachable`) when the
                # next memory.grow would pass the limit, so say how close it was.
                size = instance.memory.data_len(instance.store)
                why += (
                    f"; a panic or a failed allocation -- its memory was {size} bytes "
                    f"against a limit of {self.memory_limit} bytes"
                )
                details["memorySize"] = size
                details["memoryLimit"] = self.memory_limit
        self._reset(f"the instance was replaced after {export} trapped")
        details["lostHandles"] = self._last_lost
        return PolicyEngineError(
            "Trap", f"{export} was stopped: {why}; the instance was replaced by a fresh one{self._lost_note()}", details
        )

    def _lost_note(self) -> str:
        lost = self._last_lost
        if not lost:
            return ""
        return f", and the {len(lost)} policy set(s) loaded before (handles {', '.join(map(str, lost))}) are lost"

    def _reset(self, reason: str) -> None:
        self._last_lost = sorted(self._handles)
        for handle in self._last_lost:
            self._lost[handle] = reason
        while len(self._lost) > _MAX_LOST_REMEMBERED:  # oldest first
            del self._lost[next(iter(self._lost))]
        self._handles.clear()
        self._instance = None
        self._resets += 1

    def _ok(self, answer: bytes) -> Any:
        try:
            envelope = json.loads(answer)
        except ValueError as e:
            raise PolicyEngineError("InternalError", f"the module's answer is not JSON: {e}") from e
        if isinstance(envelope, dict):
            if "ok" in envelope:
                return envelope["ok"]
            error = envelope.get("error")
            if isinstance(error, dict):
                raise PolicyEngineError.from_answer(error)
        raise PolicyEngineError("InternalError", f"the module's answer is not an ABI envelope: {answer[:200]!r}")


class RawExports:
    """The module's exports with no JSON or handle mapping in between.

    Every call is still bounded (fuel, time) and a trap still replaces the
    instance. Pointers are the module's; handles are the module's own, not
    the ones :meth:`PolicyEngine.load_policy_set` returns.
    """

    def __init__(self, engine: PolicyEngine) -> None:
        self._engine = engine

    def call(self, export: str, *args: int) -> int:
        """Calls an export by name with i32 arguments; returns its i32 result."""
        if export not in _EXPORTS:
            raise ValueError(f"{export!r} is not an export of the ABI; expected one of: {', '.join(_EXPORTS)}")
        if len(args) != _EXPORTS[export]:
            raise TypeError(f"{export} takes {_EXPORTS[export]} argument(s), not {len(args)}")
        for value in args:
            if not isinstance(value, int) or not -(2**31) <= value < 2**31:
                raise ValueError(f"{value!r} is not an i32")
        engine = self._engine
        with engine._lock:
            instance = engine._live()
            engine._arm(instance)
            try:
                return instance.call(export, *args)
            except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
                raise engine._trap(export, e) from e

    def alloc(self, length: int) -> int:
        return self.call("rolechain_alloc", length)

    def free(self, ptr: int) -> int:
        return self.call("rolechain_free", ptr)

    def write(self, ptr: int, data: bytes) -> None:
        with self._engine._lock:
            self._engine._live().write(ptr, data)

    def read(self, ptr: int, length: int) -> bytes:
        with self._engine._lock:
            return self._engine._live().read(ptr, length)

    def read_result(self, result: int) -> bytes:
        """The JSON bytes of a result buffer (not freed)."""
        with self._engine._lock:
            return self._engine._live().read_result(result)

    def answer(self, result: int) -> Any:
        """Reads a result buffer, frees it and returns the parsed envelope."""
        data = self.read_result(result)
        if self.free(result) != 0:
            raise PolicyEngineError("InvalidPointer", f"result buffer {result} could not be freed")
        return json.loads(data)

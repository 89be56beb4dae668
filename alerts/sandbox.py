"""A Jinja2 sandbox in which one render is bounded in time and memory.

Staff edit the notification templates, and a typo such as ``'x' * 200000000`` or two
nested ``range`` loops must not stall delivery or eat the machine's memory: cutting the
finished text to size comes too late. So the limits apply while the template runs:

- no single value a template makes (string, list) grows past :data:`MAX_VALUE`
  characters / :data:`MAX_ITEMS` items: ``*``, ``+``, ``**``, ``%``, ``~``, ``str.format``,
  the padding and replacing string methods and filters are checked *before* they build
  the result;
- ``range`` yields at most :data:`MAX_RANGE` numbers; recursive loops are refused;
- loop iterations, calls and the size checks themselves draw on one work budget per
  render (:data:`MAX_WORK`), so loops that print nothing still end;
- text captured by macros, ``{% set %}`` and ``{% filter %}`` blocks is capped at
  :data:`MAX_CAPTURED` characters, and :meth:`BoundedEnvironment.render_bounded` stops
  pulling the template's output once it has enough.

Going over a limit raises :class:`~jinja2.exceptions.SecurityError` (a template error),
which the renderer reports in place of the broken template. The environment is also
immutable (templates cannot change the lists and dicts they are given).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg

MAX_VALUE = 100_000  # characters in one string a template builds
MAX_ITEMS = 10_000  # items in one list or tuple a template builds
MAX_RANGE = 10_000  # numbers one range() may yield
MAX_CAPTURED = 1_000_000  # characters written into captured blocks during one render
MAX_WORK = 1_000_000  # work units per render: each value measured costs 1, a loop step STEP_COST, a call CALL_COST
STEP_COST = 10
CALL_COST = 200  # measured: a macro call costs Jinja about twenty times an empty loop step
MAX_INT_BITS = 4 * MAX_VALUE  # a number bigger than this could not be printed within MAX_VALUE anyway


@dataclass
class _Budget:
    work: int = 0
    captured: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("repmon_template_budget", default=None)


def _spend(units: int) -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.work += units
    if budget.work > MAX_WORK:
        raise SecurityError("the template does too much work (loops or calls); simplify it")


def _too_big(what: str) -> SecurityError:
    return SecurityError(f"the template builds {what} bigger than the sandbox allows ({MAX_VALUE:,} characters, {MAX_ITEMS:,} items)")


def measure(value: Any, limit: int = MAX_VALUE) -> int:
    """Roughly how many characters ``str(value)`` would take, stopping once past ``limit``.

    Lists can share items (``[[s] * n] * n``), so their printed size can be far larger
    than their memory; walking them, with an early stop, is what keeps printing bounded.
    """
    if isinstance(value, str):
        return len(value)
    total = 0
    visited = 0
    stack = [value]
    while stack and total <= limit:
        v = stack.pop()
        visited += 1
        if isinstance(v, (str, bytes)):
            total += len(v) + 1
        elif isinstance(v, int):
            total += v.bit_length() // 3 + 1
        elif isinstance(v, range):
            total += len(v) * 2
        elif isinstance(v, dict):
            total += 1
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple, set, frozenset)):
            total += 1
            stack.extend(v)
        else:
            total += 1
    _spend(visited)
    return total


def check_size(value: Any, what: str = "a value") -> Any:
    """``value`` if printing it stays within :data:`MAX_VALUE`; else a SecurityError."""
    if measure(value) > MAX_VALUE:
        raise _too_big(what)
    return value


# ----------------------------------------------------------------------- format strings

_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")


def _check_percent_format(fmt: str, args: Any) -> None:
    # Widths are where a short format string turns into a huge result ("%999999999s").
    widths = 0
    for m in _PERCENT_SPEC.finditer(fmt):
        for part in m.groups():
            if part == "*":
                raise SecurityError("'*' widths are not allowed in templates")
            if part:
                widths += int(part)
    arg_size = measure(args)
    if len(fmt) + widths + fmt.count("%") * arg_size > MAX_VALUE:
        raise _too_big("a formatted string")


def _check_str_format(fmt: str, args: tuple, kwargs: dict) -> None:
    widths = 0
    fields = 0
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format will raise its own error
    for _, field, spec, _ in parsed:
        if field is None:
            continue
        fields += 1
        if spec and "{" in spec:
            raise SecurityError("nested format fields are not allowed in templates")
        widths += sum(int(n) for n in _NUMBER.findall(spec or ""))
    arg_size = max([measure(a) for a in args] + [measure(v) for v in kwargs.values()] + [0])
    if len(fmt) + widths + fields * arg_size > MAX_VALUE:
        raise _too_big("a formatted string")


# ----------------------------------------------------------------------- string methods

def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _check_str_method(s: str, name: str, args: tuple, kwargs: dict) -> None:
    """Refuse string method calls whose result would pass MAX_VALUE, before they run."""
    if name in ("center", "ljust", "rjust", "zfill"):
        width = _arg(args, kwargs, 0, "width", 0)
        if isinstance(width, int) and width > MAX_VALUE:
            raise _too_big("a padded string")
    elif name == "expandtabs":
        size = _arg(args, kwargs, 0, "tabsize", 8)
        if isinstance(size, int) and len(s) + s.count("\t") * max(size, 0) > MAX_VALUE:
            raise _too_big("a string")
    elif name == "replace":
        _check_replace(s, _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", ""), _arg(args, kwargs, 2, "count", -1))
    elif name == "join":
        items = _arg(args, kwargs, 0, "iterable", ())
        if isinstance(items, (list, tuple)) and len(s) * len(items) + measure(items) > MAX_VALUE:
            raise _too_big("a joined string")
    elif name == "translate":
        table = _arg(args, kwargs, 0, "table", {})
        if isinstance(table, dict):
            longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
            if len(s) * longest > MAX_VALUE:
                raise _too_big("a translated string")


def _check_replace(s: Any, old: Any, new: Any, count: Any) -> None:
    if not (isinstance(s, str) and isinstance(old, str) and isinstance(new, str)):
        return
    n = len(s) + 1 if old == "" else s.count(old)
    if isinstance(count, int) and count >= 0:
        n = min(n, count)
    if len(s) + n * max(len(new) - len(old), 0) > MAX_VALUE:
        raise _too_big("a replaced string")


# ----------------------------------------------------------------------- filters

def _filter_center(value: Any, width: Any = 80, *_: Any, **__: Any) -> None:
    if isinstance(width, int) and width > MAX_VALUE:
        raise _too_big("a padded string")


def _filter_indent(value: Any, width: Any = 4, *_: Any, **__: Any) -> None:
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    lines = str(value).count("\n") + 1 if isinstance(value, str) else 1
    if pad > MAX_VALUE or lines * pad > MAX_VALUE:
        raise _too_big("an indented string")


def _filter_replace(value: Any, old: Any = "", new: Any = "", count: Any = None, *_: Any, **__: Any) -> None:
    _check_replace(value, old, new, -1 if count is None else count)


def _filter_join(value: Any, d: Any = "", *_: Any, **__: Any) -> None:
    if isinstance(d, str) and isinstance(value, (list, tuple, str)) and len(d) * len(value) > MAX_VALUE:
        raise _too_big("a joined string")


def _filter_wordwrap(value: Any, width: Any = 79, break_long_words: Any = True, wrapstring: Any = None, *_: Any,
                     **kwargs: Any) -> None:
    wrap = kwargs.get("wrapstring", wrapstring)
    w = kwargs.get("width", width)
    if isinstance(wrap, str) and isinstance(value, str) and isinstance(w, int):
        if len(value) + (len(value) // max(w, 1) + 1) * len(wrap) > MAX_VALUE:
            raise _too_big("a wrapped string")


def _filter_format(value: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(value, str):
        _check_percent_format(value, kwargs or args)


def _filter_sum(value: Any, attribute: Any = None, start: Any = 0, *_: Any, **kwargs: Any) -> None:
    # Summing lists or strings copies the growing result each time: quadratic.
    if not isinstance(kwargs.get("start", start), (int, float)):
        raise SecurityError("sum() in templates adds numbers only")


def _filter_batch(value: Any, linecount: Any = 1, fill_with: Any = None, *_: Any, **__: Any) -> None:
    if isinstance(linecount, int) and linecount > MAX_ITEMS:
        raise _too_big("a batch")


FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": _filter_center, "indent": _filter_indent, "replace": _filter_replace, "join": _filter_join,
    "wordwrap": _filter_wordwrap, "format": _filter_format, "sum": _filter_sum, "batch": _filter_batch,
}


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if _PassArg.from_obj(func) is not None else 0
    check = FILTER_CHECKS.get(name)

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _spend(STEP_COST)
        for a in args[skip:]:
            check_size(a, f"the input of filter {name!r}")
        for a in kwargs.values():
            check_size(a, f"an argument of filter {name!r}")
        if check is not None:
            check(*args[skip:], **kwargs)
        return func(*args, **kwargs)

    return guarded


# ----------------------------------------------------------------------- code generation

class CappedBuffer(list):
    """The buffer of a captured block: counts what is written into it."""

    def append(self, item: Any) -> None:
        self._count(item)
        super().append(item)

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            self.append(item)

    @staticmethod
    def _count(item: Any) -> None:
        budget = _budget.get()
        if budget is None:
            return
        budget.captured += len(item) if isinstance(item, str) else 1
        if budget.captured > MAX_CAPTURED:
            raise SecurityError(f"the template captures more than {MAX_CAPTURED:,} characters in blocks and macros")


class BoundedCodeGenerator(CodeGenerator):
    """Compiles templates so loops, captured blocks and ``~`` report to the budget."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.capped_buffer()")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if node.recursive:
            # A recursive loop re-enters with fresh iterables the budget cannot see.
            self.fail("recursive loops are not allowed in notification templates", node.lineno)
        counted = nodes.For(node.target, nodes.Call(nodes.EnvironmentAttribute("counted_iter"), [node.iter], [], None, None),
                            node.body, node.else_, node.test, node.recursive, lineno=node.lineno)
        counted.set_environment(self.environment)
        super().visit_For(counted, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.capped_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


# ----------------------------------------------------------------------- environment

def bounded_range(*args: int) -> range:
    """``range`` for templates: at most :data:`MAX_RANGE` numbers."""
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"range() in templates is limited to {MAX_RANGE:,} numbers")
    return rng


def _is_sequence(v: Any) -> bool:
    return isinstance(v, (str, list, tuple))


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """An immutable sandbox whose renders are bounded (see the module docstring).

    Render with :meth:`render_bounded`; the work budget applies only there.
    """

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs: nothing a notification needs
        self.guard_filters()

    def guard_filters(self) -> None:
        """Wrap every filter (call again after adding filters) so its input and arguments are size-checked."""
        for name, func in list(self.filters.items()):
            if not getattr(func, "_repmon_guarded", False):
                guarded = _guard_filter(name, func)
                guarded._repmon_guarded = True  # type: ignore[attr-defined]
                self.filters[name] = guarded

    # ---- what compiled templates call

    def counted_iter(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            _spend(STEP_COST)
            yield item

    def capped_buffer(self) -> CappedBuffer:
        return CappedBuffer()

    def capped_concat(self, parts: tuple[Any, ...]) -> str:
        total = 0
        for p in parts:
            total += measure(p)
            if total > MAX_VALUE:
                raise _too_big("a joined string (~)")
        return "".join(str(p) for p in parts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _spend(1)
        if operator == "*":
            if isinstance(left, int) and _is_sequence(right):
                left, right = right, left
            if _is_sequence(left) and isinstance(right, int):
                cap = MAX_VALUE if isinstance(left, str) else MAX_ITEMS
                if len(left) * max(right, 0) > cap:
                    raise _too_big("a repeated string or list")
            elif isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise _too_big("a number")
            return left * right
        if operator == "+":
            if _is_sequence(left) and _is_sequence(right):
                cap = MAX_VALUE if isinstance(left, str) else MAX_ITEMS
                if len(left) + len(right) > cap:
                    raise _too_big("a string or list")
            return left + right
        if operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
                if left.bit_length() * right > MAX_INT_BITS:
                    raise _too_big("a number")
            return left**right
        if operator == "%":
            if isinstance(left, str):
                _check_percent_format(left, right)
            return left % right
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _spend(CALL_COST)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            _check_str_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__
        is_map = value.__name__ == "format_map"

        @functools.wraps(wrapped)
        def checked(*args: Any, **kwargs: Any) -> str:
            if is_map:
                _check_str_format(fmt, (), args[0] if args and isinstance(args[0], dict) else {})
            else:
                _check_str_format(fmt, args, kwargs)
            return wrapped(*args, **kwargs)

        return checked

    # ---- rendering

    def render_bounded(self, template: Any, context: dict[str, Any], limit: int,
                       size: Callable[[str], int] = len) -> tuple[str, bool]:
        """The template's output, and whether there was more than ``limit``.

        Streams the output with a fresh work budget and stops pulling it once ``size``
        of what came out passes ``limit`` (the caller cuts the text to size).
        """
        token = _budget.set(_Budget())
        try:
            parts: list[str] = []
            total = 0
            stream = template.generate(context)
            try:
                for chunk in stream:
                    parts.append(chunk)
                    total += size(chunk)
                    if total > limit:
                        return "".join(parts), True
            finally:
                stream.close()
            return "".join(parts), False
        finally:
            _budget.reset(token)

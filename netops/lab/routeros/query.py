"""RouterOS API ``print`` queries: a small stack machine over one entry's properties.

Each query word pushes a truth value (``?name``, ``?-name``, ``?name=x``, ``?=name=x``,
``?<name=x``, ``?>name=x``) or rewrites the stack (``?#`` followed by ``|``, ``&``, ``!``,
``.`` and stack indexes, top of stack being index 0). An entry matches when every value
left on the stack is true; no query matches everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

_BOOL = {"yes": "true", "true": "true", "no": "false", "false": "false"}

Test = Callable[[Mapping[str, str]], bool]


class QueryError(ValueError):
    """A query word the device cannot evaluate."""


def same_value(stored: str, wanted: str) -> bool:
    """Equality as RouterOS applies it: ``yes``/``true`` and ``no``/``false`` are one."""
    if stored == wanted:
        return True
    a, b = _BOOL.get(stored), _BOOL.get(wanted)
    return a is not None and a == b


def _order(stored: str, wanted: str) -> int:
    try:
        x, y = int(stored, 0), int(wanted, 0)
    except ValueError:
        if stored.startswith("*") and wanted.startswith("*"):
            try:
                x, y = int(stored[1:], 16), int(wanted[1:], 16)
            except ValueError:
                return (stored > wanted) - (stored < wanted)
        else:
            return (stored > wanted) - (stored < wanted)
    return (x > y) - (x < y)


def compile_query(words: list[str]) -> list[tuple[str, str, str]]:
    """Parse query words (without their leading ``?``) into ``(op, name, value)`` steps.

    Raises :class:`QueryError` for a word that is not a query.
    """
    steps: list[tuple[str, str, str]] = []
    for word in words:
        if word.startswith("#"):
            ops = word[1:]
            for ch in ops:
                if ch not in "|&!.0123456789":
                    raise QueryError(f"unknown query operation {ch!r}")
            steps.append(("#", "", ops))
        elif word.startswith("-"):
            steps.append(("absent", word[1:], ""))
        elif word[:1] in "<>=":
            op = word[0]
            name, sep, value = word[1:].partition("=")
            if not sep or not name:
                raise QueryError(f"query word ?{word} needs name=value")
            steps.append(({"<": "lt", ">": "gt", "=": "eq"}[op], name, value))
        elif "=" in word:
            name, _, value = word.partition("=")
            steps.append(("eq", name, value))
        elif word:
            steps.append(("present", word, ""))
        else:
            raise QueryError("empty query word")
    return steps


def matches(steps: list[tuple[str, str, str]], entry: Mapping[str, str]) -> bool:
    """Whether ``entry`` passes the compiled query."""
    stack: list[bool] = []
    for op, name, value in steps:
        if op == "present":
            stack.append(name in entry)
        elif op == "absent":
            stack.append(name not in entry)
        elif op == "eq":
            stack.append(name in entry and same_value(entry[name], value))
        elif op == "lt":
            stack.append(name in entry and _order(entry[name], value) < 0)
        elif op == "gt":
            stack.append(name in entry and _order(entry[name], value) > 0)
        else:
            _apply_ops(stack, value)
    return all(stack)


def _apply_ops(stack: list[bool], ops: str) -> None:
    i = 0
    after_index = False
    while i < len(ops):
        ch = ops[i]
        if ch.isdigit():
            j = i
            while j < len(ops) and ops[j].isdigit():
                j += 1
            index = int(ops[i:j])
            if index >= len(stack):
                raise QueryError(f"query stack has no index {index}")
            value = stack[-1 - index]
            if j == len(ops):
                stack[:] = [value]
            else:
                stack.append(value)
            i = j
            after_index = True
            continue
        if ch == "!":
            _need(stack, 1)
            stack[-1] = not stack[-1]
        elif ch in "|&":
            _need(stack, 2)
            b, a = stack.pop(), stack.pop()
            stack.append((a or b) if ch == "|" else (a and b))
        elif ch == "." and not after_index:
            _need(stack, 1)
            stack.append(stack[-1])
        after_index = False
        i += 1


def _need(stack: list[bool], count: int) -> None:
    if len(stack) < count:
        raise QueryError("query stack underflow")

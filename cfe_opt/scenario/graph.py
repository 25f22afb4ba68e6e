"""Membership graphs (groups of groups, zones of zones): cycles found and members resolved in
time linear in the graph's size, whatever its shape.

A group may list groups, which list groups…: a chain thousands long, or a lattice in which every
layer lists both groups of the layer below (2ⁿ paths through n layers). Walking every path, or
recursing once per level, is exponential or overflows the stack; these functions visit each
node and edge once, without recursion.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)
Item = TypeVar("Item", bound=Hashable)

MAX_EACH_NAMED = 10  # in a larger cycle, only its first node (in the given order) is named


def strongly_connected(nodes: Sequence[Node], children: Callable[[Node], Iterable[Node]]
                       ) -> list[list[Node]]:
    """Tarjan's strongly connected components, iteratively; each component in discovery order."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    on_stack: set[Node] = set()
    stack: list[Node] = []
    components: list[list[Node]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(children(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            child = next(it, _END)
            if child is not _END:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(children(child))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component[::-1])
    return components


_END = object()


def cycles(nodes: Sequence[Node], children: Callable[[Node], Iterable[Node]]
           ) -> dict[Node, list[Node]]:
    """Nodes that lie on a cycle, each with a shortest cycle through it: ``[n, …, n]``.

    In a strongly connected component of up to MAX_EACH_NAMED nodes each node is given; in a
    larger one only its first node in ``nodes`` order (one cycle shows what must be broken, and
    a line for each of thousands of nodes would bury it)."""
    order = {node: i for i, node in enumerate(nodes)}
    found: dict[Node, list[Node]] = {}
    for component in strongly_connected(nodes, children):
        if len(component) == 1:
            node = component[0]
            if node in set(children(node)):
                found[node] = [node, node]
            continue
        members = set(component)
        starts = sorted(component, key=order.__getitem__)
        for start in starts if len(component) <= MAX_EACH_NAMED else starts[:1]:
            found[start] = _shortest_cycle(start, children, members)
    return found


def _shortest_cycle(start: Node, children: Callable[[Node], Iterable[Node]],
                    within: set[Node]) -> list[Node]:
    came_from: dict[Node, Node] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for child in children(node):
            if child not in within:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*path[::-1], start]
            if child not in seen:
                seen.add(child)
                came_from[child] = node
                queue.append(child)
    return [start, start]  # not reached: every node of a component lies on a cycle


def show_cycle(path: Sequence[str], limit: int = 12) -> str:
    """``A → B → A``; a long cycle shows its ends and how many names lie between."""
    if len(path) <= limit:
        return " → ".join(path)
    head, tail = path[: limit // 2], path[-(limit // 2):]
    return f"{' → '.join(head)} → … ({len(path) - len(head) - len(tail)} more) → {' → '.join(tail)}"


def resolve_members(nodes: Sequence[Node], children: Callable[[Node], Iterable[Node]],
                    own: Callable[[Node], Iterable[Item]]) -> dict[Node, frozenset[Item]]:
    """For each node, its own items and those of every node it reaches (cycles tolerated: a
    node on a cycle gets what it reaches before closing it). Each node is resolved once, after
    its children, so the work is one pass over nodes and edges (plus the unions)."""
    done: dict[Node, frozenset[Item]] = {}
    for root in nodes:
        if root in done:
            continue
        on_path = {root}
        work = [(root, iter(children(root)))]
        while work:
            node, it = work[-1]
            child = next(it, _END)
            if child is not _END:
                if child not in done and child not in on_path:
                    on_path.add(child)
                    work.append((child, iter(children(child))))
                continue
            work.pop()
            on_path.discard(node)
            items = set(own(node))
            for sub in children(node):
                items |= done.get(sub, frozenset())
            done[node] = frozenset(items)
    return done

#!/usr/bin/env python3
"""Counts the public surface of a crate from its rustdoc JSON (stdlib only).

    python3 .ci/surface.py target/doc/wswire.json [--list]

`bash .ci/surface` builds the JSON (nightly rustdoc, all features, hidden items included so
they can be reported) and runs this script on it.

What is counted:
- **items**: every module-level item reachable from the crate root through public modules and
  `pub use` re-exports (glob re-exports expanded), deduplicated by rustdoc item id, so an item
  re-exported at the root and also public in its module counts once. Kinds: module, struct,
  enum, union, trait, type alias, function, constant, static, macro. The crate root itself is
  not counted. Enum variants, struct fields and associated items are not items here.
- **public types**: structs + enums + unions + traits + type aliases among those items.
- **inherent methods**: `pub` functions in inherent `impl Type { .. }` blocks of the public
  structs, enums and unions (not trait impls, not blanket or auto-trait impls), each function
  id once. Inherent associated constants are reported beside them.
- for comparison only: methods declared by the public traits, and methods written in the
  crate's own trait impls on public types (derives, blanket and auto-trait impls excluded).
- **hidden**: an item with `#[doc(hidden)]` (or a stripped module) is left out with everything
  under it and reported separately. rustdoc drops hidden items from its JSON unless it is run
  with `--document-hidden-items`; without that flag the hidden section is simply empty.
- re-exports of items from other crates are listed apart (they are not this crate's items).
"""

import argparse
import json
import sys
from collections import Counter, deque

KIND_NAMES = {
    "module": "module",
    "struct": "struct",
    "enum": "enum",
    "union": "union",
    "trait": "trait",
    "trait_alias": "trait alias",
    "type_alias": "type alias",
    "typedef": "type alias",  # format versions before 23
    "function": "function",
    "constant": "constant",
    "static": "static",
    "macro": "macro",
    "proc_macro": "macro",
    "extern_type": "extern type",
}
TYPE_KINDS = {"struct", "enum", "union", "trait", "type alias"}
ORDER = [
    "module",
    "struct",
    "enum",
    "union",
    "trait",
    "trait alias",
    "type alias",
    "function",
    "constant",
    "static",
    "macro",
    "extern type",
]


def kind_of(item):
    inner = item.get("inner")
    if isinstance(inner, dict) and inner:
        return next(iter(inner))
    return item.get("kind", "?")  # very old formats kept the kind beside `inner`


def inner_of(item):
    inner = item.get("inner")
    if isinstance(inner, dict) and len(inner) == 1:
        return next(iter(inner.values())) or {}
    return inner or {}


def is_hidden(item):
    for attr in item.get("attrs") or []:
        text = attr if isinstance(attr, str) else json.dumps(attr)
        if "doc(hidden)" in text.replace(" ", ""):
            return True
    return kind_of(item) == "module" and bool(inner_of(item).get("is_stripped"))


class Surface:
    def __init__(self, doc):
        self.doc = doc
        self.index = doc["index"]
        self.paths = doc.get("paths", {})
        self.items = {}  # id -> (kind, first path, [other paths])
        self.hidden = {}  # id -> (kind, path)
        self.external = {}  # path -> source
        self.walk()

    def get(self, item_id):
        return self.index.get(str(item_id))

    def walk(self):
        root = str(self.doc["root"])
        queue = deque([(root, [self.index[root]["name"]], False)])
        expanded = set()
        while queue:
            item_id, path, hidden = queue.popleft()
            mod = self.get(item_id)
            key = (item_id, hidden)
            if key in expanded:
                continue
            expanded.add(key)
            for child in inner_of(mod).get("items", []):
                self.visit(str(child), path, hidden, queue)

    def visit(self, item_id, path, hidden, queue):
        item = self.get(item_id)
        if item is None:
            return
        kind = kind_of(item)
        if kind in ("use", "import"):
            use = inner_of(item)
            target = use.get("id")
            name = use.get("name")
            hidden = hidden or is_hidden(item)
            if target is None or self.get(target) is None:
                src = use.get("source")
                if target is not None and str(target) in self.paths:
                    src = "::".join(self.paths[str(target)]["path"])
                self.external["::".join(path + [name or "*"])] = src
                return
            target_item = self.get(target)
            if use.get("is_glob"):
                # `pub use m::*`: every public item of the module (or enum) at this path.
                for child in inner_of(target_item).get("items", []):
                    self.visit(str(child), path, hidden or is_hidden(target_item), queue)
                return
            self.record(str(target), target_item, path + [name], hidden, queue)
            return
        if item.get("visibility") != "public":
            return
        self.record(item_id, item, path + [item["name"]], hidden, queue)

    def record(self, item_id, item, path, hidden, queue):
        kind = KIND_NAMES.get(kind_of(item))
        if kind is None:
            return  # impls, variants, fields: not module-level items
        hidden = hidden or is_hidden(item)
        dotted = "::".join(path)
        if hidden:
            if item_id not in self.items and item_id not in self.hidden:
                self.hidden[item_id] = (kind, dotted)
        elif item_id in self.items:
            self.items[item_id][2].append(dotted)
        else:
            self.hidden.pop(item_id, None)  # also reachable by a visible path
            self.items[item_id] = (kind, dotted, [])
        if kind == "module":
            queue.append((item_id, path, hidden))

    def counts(self):
        return Counter(kind for kind, _, _ in self.items.values())

    def type_ids(self):
        return [i for i, (k, _, _) in self.items.items() if k in TYPE_KINDS]

    def methods(self):
        """(inherent methods, inherent assoc consts, hidden inherent methods,
        trait-declared methods, methods in own trait impls): lists of (path, id)."""
        inherent, consts, hidden, declared, trait_impl = {}, {}, {}, {}, {}
        for type_id in self.type_ids():
            type_item = self.get(type_id)
            type_path = self.items[type_id][1]
            body = inner_of(type_item)
            if kind_of(type_item) == "trait":
                for m in body.get("items", []):
                    m_item = self.get(m)
                    if m_item and kind_of(m_item) == "function" and not is_hidden(m_item):
                        declared[str(m)] = f"{type_path}::{m_item['name']}"
                continue
            for impl_id in body.get("impls", []):
                impl = self.get(impl_id)
                if impl is None:
                    continue
                imp = inner_of(impl)
                if imp.get("blanket_impl") is not None or imp.get("is_synthetic"):
                    continue
                own_trait_impl = imp.get("trait") is not None
                if own_trait_impl and "automatically_derived" in json.dumps(impl.get("attrs")):
                    continue
                for m in imp.get("items", []):
                    m_item = self.get(m)
                    if m_item is None:
                        continue
                    where = f"{type_path}::{m_item.get('name')}"
                    if own_trait_impl:
                        if kind_of(m_item) == "function":
                            trait_impl[str(m)] = where
                        continue
                    if m_item.get("visibility") != "public":
                        continue
                    if is_hidden(impl) or is_hidden(m_item):
                        hidden[str(m)] = where
                    elif kind_of(m_item) == "function":
                        inherent[str(m)] = where
                    elif kind_of(m_item) == "assoc_const":
                        consts[str(m)] = where
        return inherent, consts, hidden, declared, trait_impl


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", help="rustdoc JSON of the crate (target/doc/<crate>.json)")
    ap.add_argument("--list", action="store_true", help="print every item and method path")
    args = ap.parse_args()
    with open(args.json, encoding="utf-8") as f:
        doc = json.load(f)
    s = Surface(doc)
    counts = s.counts()
    inherent, consts, hidden_methods, declared, trait_impl = s.methods()
    crate = doc["index"][str(doc["root"])]["name"]

    print(f"{crate} {doc.get('crate_version') or ''} (rustdoc JSON format {doc.get('format_version')})")
    print(f"public items: {len(s.items)} ({len(s.items) - counts.get('module', 0)} besides modules)")
    for kind in ORDER:
        if counts.get(kind):
            print(f"  {kind:<12} {counts[kind]}")
    n_types = sum(counts.get(k, 0) for k in TYPE_KINDS)
    print(f"public types (struct+enum+union+trait+type alias): {n_types}")
    print(f"public inherent methods/associated fns on them: {len(inherent)}")
    print(f"  with the public free functions: {len(inherent) + counts.get('function', 0)}")
    print(f"  (also: {len(consts)} inherent associated consts; {len(declared)} methods declared by "
          f"public traits; {len(trait_impl)} methods in the crate's own trait impls on public "
          f"types, derives excluded)")
    aliased = sum(1 for _, _, more in s.items.values() if more)
    print(f"items reachable by more than one path (counted once): {aliased}")
    hidden_counts = Counter(kind for kind, _ in s.hidden.values())
    detail = ", ".join(f"{k} {hidden_counts[k]}" for k in ORDER if hidden_counts.get(k))
    print(f"#[doc(hidden)] (not counted): {len(s.hidden)} items" + (f" ({detail})" if detail else "")
          + f", {len(hidden_methods)} inherent methods")
    if s.external:
        print(f"re-exports of other crates' items (not counted): {len(s.external)}")

    if args.list:
        print("\n# items")
        for kind, path, more in sorted(s.items.values(), key=lambda x: x[1]):
            also = f"  (also {', '.join(sorted(more))})" if more else ""
            print(f"{kind:<12} {path}{also}")
        print("\n# inherent methods")
        for path in sorted(inherent.values()):
            print(f"fn   {path}")
        for path in sorted(consts.values()):
            print(f"const {path}")
        if s.hidden or hidden_methods:
            print("\n# hidden")
            for kind, path in sorted(s.hidden.values(), key=lambda x: x[1]):
                print(f"{kind:<12} {path}")
            for path in sorted(hidden_methods.values()):
                print(f"fn   {path}")
        if s.external:
            print("\n# external re-exports")
            for path, src in sorted(s.external.items()):
                print(f"{path} = {src}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

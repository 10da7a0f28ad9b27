"""Structure-tree shapes PDF/UA-1 requires, put right on the joined PDF with pikepdf.

WeasyPrint 70 maps HTML boxes to structure elements one for one, so a list item's
paragraphs hang from LI directly and an empty table body gives a row group inside a row
group. These repairs need no knowledge of the HTML, only of ISO 32000-1's tables 336
(lists) and 337 (tables), so they run once on the joined PDF (pdf_merge.py) rather than
inside WeasyPrint (what needs the HTML is done in pdf_tags.py):

- LI holds only Lbl and LBody: every run of other children (P, Span, NonStruct, marked
  content) is wrapped in an LBody of its own (Matterhorn 09-005);
- THead, TBody and TFoot hold only TR: a row group inside a row group gives up its rows
  to its parent, an empty row group is removed, and a table left without a body (an
  empty session plan) has its foot, or else its head, as its body (09-004).

Marked content and annotations that move to a new element are re-pointed in the parent
tree, so that content and structure still agree both ways.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name

ROW_GROUPS = (Name.THead, Name.TBody, Name.TFoot)
ITEM_PARTS = (Name.Lbl, Name.LBody)


class _ParentTree:
    """The parent tree's flat /Nums, to re-point marked content and annotations."""

    def __init__(self, root: pikepdf.Object) -> None:
        self.nums = root.ParentTree.get(Name.Nums, Array())
        self.index = {int(self.nums[i]): i + 1 for i in range(0, len(self.nums), 2)}

    def move(self, kid: pikepdf.Object, page: pikepdf.Object | None,
             target: pikepdf.Object) -> None:
        """``kid`` (an MCID, an MCR or an OBJR of an element on ``page``) now belongs to
        ``target``."""
        if isinstance(kid, Dictionary) and kid.get(Name.Type) == Name.OBJR:
            key = kid.Obj.get(Name.StructParent)
            if key is not None and int(key) in self.index:
                self.nums[self.index[int(key)]] = target
            return
        if isinstance(kid, Dictionary) and kid.get(Name.Type) == Name.MCR:
            mcid, page = int(kid.MCID), kid.get(Name.Pg, page)
        elif isinstance(kid, int):
            mcid = kid
        else:
            return
        if page is None or int(page.get(Name.StructParents, -1)) not in self.index:
            return
        array = self.nums[self.index[int(page.StructParents)]]
        if isinstance(array, Array) and mcid < len(array):
            array[mcid] = target


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get(Name.K)
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _is_element(kid: pikepdf.Object) -> bool:
    return isinstance(kid, Dictionary) and Name.S in kid


def repair_structure(pdf: pikepdf.Pdf) -> None:
    """Put list items and table row groups of ``pdf``'s structure tree into the shapes
    ISO 32000-1 tables 336 and 337 allow (see the module docstring)."""
    root = pdf.Root.get(Name.StructTreeRoot)
    if root is None:
        return
    parents = _ParentTree(root)
    todo = [kid for kid in _kids(root) if _is_element(kid)]
    while todo:
        element = todo.pop()
        kind = element.get(Name.S)
        if kind == Name.LI:
            _wrap_item_bodies(pdf, element, parents)
        elif kind in ROW_GROUPS or kind == Name.Table:
            _flatten_row_groups(element)
        todo.extend(kid for kid in _kids(element) if _is_element(kid))


def _wrap_item_bodies(pdf: pikepdf.Pdf, item: pikepdf.Object, parents: _ParentTree) -> None:
    kids = _kids(item)
    if all(_is_element(kid) and kid.S in ITEM_PARTS for kid in kids):
        return
    page = item.get(Name.Pg)
    result = Array()
    run: list[pikepdf.Object] = []

    def close_run() -> None:
        if not run:
            return
        body = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.LBody, P=item,
                                            K=Array(run)))
        if page is not None:
            body[Name.Pg] = page
        for kid in run:
            if _is_element(kid):
                kid[Name.P] = body
            else:
                parents.move(kid, page, body)
        result.append(body)
        run.clear()

    for kid in kids:
        if _is_element(kid) and kid.S in ITEM_PARTS:
            close_run()
            result.append(kid)
        else:
            run.append(kid)
    close_run()
    item[Name.K] = result


def _flatten_row_groups(element: pikepdf.Object) -> None:
    """Rows of row groups nested in ``element`` (a Table or a row group) move up into
    their outermost row group; empty groups go. A table left with a head or foot but no
    body gets its foot (else its head) as its body."""
    result = Array()
    changed = False
    for kid in _kids(element):
        if not (_is_element(kid) and kid.S in ROW_GROUPS):
            result.append(kid)
            continue
        rows = _flattened_rows(kid)
        if element.S in ROW_GROUPS:
            changed = True
            for row in rows:
                row[Name.P] = element
                result.append(row)
            continue
        if not rows:
            changed = True
            continue
        if len(rows) != len(_kids(kid)):
            for row in rows:
                row[Name.P] = kid
            kid[Name.K] = Array(rows)
        result.append(kid)
    groups = [kid for kid in result if _is_element(kid) and kid.S in ROW_GROUPS]
    kinds = [str(group.S) for group in groups]
    if str(element.S) == "/Table" and groups and "/TBody" not in kinds:
        (groups[-1] if kinds[-1] == "/TFoot" else groups[0])[Name.S] = Name.TBody
    if changed:
        element[Name.K] = result


def _flattened_rows(group: pikepdf.Object) -> list[pikepdf.Object]:
    rows: list[pikepdf.Object] = []
    for kid in _kids(group):
        if _is_element(kid) and kid.S in ROW_GROUPS:
            rows.extend(_flattened_rows(kid))
        else:
            rows.append(kid)
    return rows

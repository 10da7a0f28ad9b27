"""Joining the separately laid-out parts of a PDF edition into one tagged PDF (pikepdf).

Each part is a complete tagged PDF from WeasyPrint. The first part (the front matter) is the
base: its catalog keeps the language, metadata and viewer preferences. The pages of every
other part are appended with everything they use, and so are its:

- structure tree: the part's top-level structure elements join the base's Document element
  and its parent tree is renumbered after the base's (pages' /StructParents and link
  annotations' /StructParent move with it); its element IDs get a prefix of their own;
- named destinations: one sorted name tree; a stand-in destination a part was lent for a
  link into another part (pdf_layout.py) gives way to the real one;
- bookmarks: the parts' outlines, one after another;
- fonts: one font dictionary and one program per font (pdf_fonts.py).

The joined structure tree is then put into the shapes PDF/UA asks for (pdf_structure.py).

A part that ends on a right-hand page is followed by an empty left-hand page, so that the
next part opens on a right-hand page as it would in one long document.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

from .pdf_fonts import unify_fonts
from .pdf_structure import repair_structure


@dataclass(frozen=True)
class PartPdf:
    data: bytes
    borrowed: frozenset[str] = frozenset()  # stand-in destinations to drop
    pad: bool = False  # add an empty left-hand page after this part


def merge(parts: Sequence[PartPdf], main_start: int) -> bytes:
    """One PDF from ``parts`` in order; page labels are lower-case roman numerals before
    page index ``main_start`` and 1, 2, 3 … from there."""
    sources = [pikepdf.open(io.BytesIO(part.data)) for part in parts]
    out = sources[0]
    tree = out.Root.StructTreeRoot
    document = tree.K[0]
    nums = tree.ParentTree.Nums
    next_key = _next_key(nums)
    dests: dict[bytes, pikepdf.Object] = {}
    _collect_dests(out, out, parts[0].borrowed, dests)
    outline_items = _detach_outline(out)
    items = list(outline_items)
    if parts[0].pad:
        _add_blank_page(out)
    for number, (part, src) in enumerate(zip(parts[1:], sources[1:], strict=True), start=1):
        first = len(out.pages)
        src_tree = src.Root.StructTreeRoot
        _prefix_ids(src_tree, f"p{number}-")
        kids = src_tree.K[0].K
        for kid in kids:
            if Name.P in kid:
                del kid[Name.P]
        src_items = _detach_outline(src)
        with warnings.catch_warnings():
            # Named destinations are merged below, by name.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            out.pages.extend(src.pages)
        for kid in _copy(out, src, kids):
            kid[Name.P] = document
            document.K.append(kid)
        src_nums = _copy(out, src, src_tree.ParentTree.Nums)
        for index in range(0, len(src_nums), 2):
            nums.append(int(src_nums[index]) + next_key)
            nums.append(src_nums[index + 1])
        for page in out.pages[first:]:
            obj = page.obj
            if Name.StructParents in obj:
                obj[Name.StructParents] = int(obj[Name.StructParents]) + next_key
            for annotation in obj.get(Name.Annots, Array()):
                if Name.StructParent in annotation:
                    annotation[Name.StructParent] = (
                        int(annotation[Name.StructParent]) + next_key)
        next_key += _next_key(src.Root.StructTreeRoot.ParentTree.Nums)
        _collect_dests(out, src, part.borrowed, dests)
        items.extend(out.copy_foreign(item) for item in src_items)
        if part.pad:
            _add_blank_page(out)
    tree[Name.ParentTreeNextKey] = next_key
    _set_dests(out, dests)
    _set_outline(out, items)
    out.Root[Name.PageLabels] = _page_labels(main_start)
    repair_structure(out)
    unify_fonts(out)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
             compress_streams=True)
    for src in sources:
        src.close()
    return buffer.getvalue()


def _prefix_ids(tree: pikepdf.Object, prefix: str) -> None:
    """Structure element IDs (table header cells, notes) and the /Headers that name them,
    made unique across parts: each part numbers its own from the same start."""
    todo = list(tree.K) if isinstance(tree.K, Array) else [tree.K]
    while todo:
        element = todo.pop()
        if not isinstance(element, Dictionary) or Name.S not in element:
            continue
        if Name.ID in element:
            element[Name.ID] = pikepdf.String(prefix + str(element.ID))
        attributes = element.get(Name.A)
        for entry in (attributes if isinstance(attributes, Array) else [attributes]):
            if isinstance(entry, Dictionary) and Name.Headers in entry:
                entry[Name.Headers] = Array(pikepdf.String(prefix + str(header))
                                            for header in entry.Headers)
        kids = element.get(Name.K)
        todo.extend(kids if isinstance(kids, Array) else [kids] if kids is not None else [])


def _copy(out: pikepdf.Pdf, src: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """``obj`` from ``src``, with everything it refers to, as an object of ``out`` (objects
    already copied from ``src`` are reused, not copied twice). A direct object is made
    indirect first, so that the whole copy happens in one call."""
    if not isinstance(obj, pikepdf.Object):
        return obj  # numbers, booleans and names come back as Python values
    if not obj.is_indirect:
        obj = src.make_indirect(obj)
    return out.copy_foreign(obj)


def _next_key(nums: pikepdf.Object) -> int:
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    return max(keys) + 1 if keys else 0


def _collect_dests(out: pikepdf.Pdf, src: pikepdf.Pdf, borrowed: frozenset[str],
                   dests: dict[bytes, pikepdf.Object]) -> None:
    names = src.Root.get(Name.Names)
    if names is None or Name.Dests not in names:
        return
    flat = names.Dests.get(Name.Names, Array())
    if src is not out:
        flat = _copy(out, src, flat)
    for index in range(0, len(flat), 2):
        key = bytes(flat[index])
        if key.decode("utf-8", "replace") in borrowed or key in dests:
            continue
        dests[key] = flat[index + 1]


def _set_dests(out: pikepdf.Pdf, dests: dict[bytes, pikepdf.Object]) -> None:
    if not dests:
        return
    flat = Array()
    for key in sorted(dests):
        flat.append(pikepdf.String(key))
        flat.append(dests[key])
    if Name.Names not in out.Root:
        out.Root[Name.Names] = Dictionary()
    out.Root.Names[Name.Dests] = Dictionary(Names=flat)


def _detach_outline(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """The top-level bookmarks of ``pdf``, unlinked from its outline root."""
    outlines = pdf.Root.get(Name.Outlines)
    items: list[pikepdf.Object] = []
    item = outlines.get(Name.First) if outlines is not None else None
    while item is not None:
        items.append(item)
        item = item.get(Name.Next)
    for item in items:
        for key in (Name.Parent, Name.Prev, Name.Next):
            if key in item:
                del item[key]
    return items


def _visible(item: pikepdf.Object) -> int:
    count = int(item.get(Name.Count, 0))
    return 1 + (count if count > 0 else 0)


def _set_outline(out: pikepdf.Pdf, items: list[pikepdf.Object]) -> None:
    if not items:
        if Name.Outlines in out.Root:
            del out.Root[Name.Outlines]
        return
    root = out.make_indirect(Dictionary(Type=Name.Outlines))
    for index, item in enumerate(items):
        item[Name.Parent] = root
        if index:
            item[Name.Prev] = items[index - 1]
        if index + 1 < len(items):
            item[Name.Next] = items[index + 1]
    root[Name.First] = items[0]
    root[Name.Last] = items[-1]
    root[Name.Count] = sum(_visible(item) for item in items)
    out.Root[Name.Outlines] = root


def _add_blank_page(out: pikepdf.Pdf) -> None:
    """An empty page the size of the last one."""
    last = out.pages[-1].obj
    page = Dictionary(Type=Name.Page, MediaBox=last.MediaBox, Resources=Dictionary(),
                      Contents=out.make_stream(b""))
    for key in (Name.TrimBox, Name.BleedBox):
        if key in last:
            page[key] = last[key]
    out.pages.append(pikepdf.Page(page))


def _page_labels(main_start: int) -> pikepdf.Dictionary:
    labels: list[object] = [0, Dictionary(S=Name.r)] if main_start > 0 else []
    labels += [main_start, Dictionary(S=Name.D, St=1)]
    return Dictionary(Nums=Array(labels))

"""Join the separately rendered parts of a volume into one tagged PDF with one subset per font.

WeasyPrint writes each part (front matter, chunks of cases) as a complete tagged PDF. Joining
them with a plain page merge would keep a structure tree from the first part only and every
part's own subset of the CJK fonts (a 1,000-case volume came to 17.9 MB, most of it fonts).
Here, with pikepdf (qpdf):

- pages are appended and the parts' structure trees hang under one /Document element; the
  parent tree that maps marked content back to structure elements is renumbered part by part;
- every font that WeasyPrint embedded in several parts is replaced by one subset of the union of
  the glyphs the parts use. This works because WeasyPrint subsets with retained glyph ids and an
  identity CID → GID map, so glyph ids in the page content are the font's own and any superset
  serves every part. The subset is cut from the installed font file (found by its PostScript
  name through fontconfig) with HarfBuzz, as WeasyPrint does.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

# The tables WeasyPrint drops from its subsets: shaping is done, only outlines and metrics count.
DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")
BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


@dataclass
class OutlineEntry:
    title: str
    page_index: int  # from 0, in the joined file
    children: list[OutlineEntry] = field(default_factory=list)


def join(parts: list[Path], target: Path, outline: list[OutlineEntry]) -> None:
    """Write `parts` (tagged PDFs from WeasyPrint, in order) as one file. The first part's
    catalog (language, metadata, viewer preferences) and document information are kept."""
    with pikepdf.open(parts[0]) as pdf:
        root = pdf.Root.StructTreeRoot
        document = root.K[0]
        nums = root.ParentTree.Nums
        next_key = _next_parent_key(nums)
        opened = []  # kept open until saved: their objects are copied lazily by qpdf
        for path in parts[1:]:
            part = pikepdf.open(path)
            opened.append(part)
            first_new = len(pdf.pages)
            pdf.pages.extend(part.pages)
            part_root = part.Root.StructTreeRoot
            # Copied after the pages, so the /Pg references of the elements land on the copies.
            for kid in part_root.K[0].K:
                kid = pdf.copy_foreign(kid)
                kid.P = document
                document.K.append(kid)
            part_nums = part_root.ParentTree.Nums
            old_document = pdf.copy_foreign(part_root.K[0])
            for i in range(0, len(part_nums), 2):
                nums.append(int(part_nums[i]) + next_key)
                parents = _copy(pdf, part_nums[i + 1])
                nums.append(parents)
                # WeasyPrint leaves the running header's and page number's elements out of its
                # tree (parent /Document, not among its kids); point them at the joined one, or
                # they keep the part's whole old tree in the file
                for element in parents if isinstance(parents, Array) else []:
                    while isinstance(element, Dictionary) and element.get("/P") is not None:
                        if element.P.objgen == old_document.objgen:
                            element.P = document
                            break
                        if element.P.get("/Type") != "/StructElem":
                            break
                        element = element.P
            for page in pdf.pages[first_new:]:
                if "/StructParents" in page.obj:
                    page.obj.StructParents = int(page.obj.StructParents) + next_key
                for annotation in page.obj.get("/Annots", []):
                    if "/StructParent" in annotation:
                        annotation.StructParent = int(annotation.StructParent) + next_key
            next_key += _next_parent_key(part_nums)
        root.ParentTreeNextKey = next_key
        flatten_spans(pdf)
        share_fonts(pdf)
        with pdf.open_outline() as tree:
            tree.root.extend(_outline_items(outline))
        pdf.save(target, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        for part in opened:
            part.close()


def _copy(pdf: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    """A foreign value in `pdf`: indirect objects are copied, direct arrays element by element."""
    if value.is_indirect:
        return pdf.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return Array([_copy(pdf, item) for item in value])
    return value


def _next_parent_key(nums: Array) -> int:
    return max((int(nums[i]) for i in range(0, len(nums), 2)), default=-1) + 1


def _outline_items(entries: list[OutlineEntry]) -> list[OutlineItem]:
    items = []
    for entry in entries:
        item = OutlineItem(entry.title, entry.page_index)
        item.children.extend(_outline_items(entry.children))
        items.append(item)
    return items


# -- structure -------------------------------------------------------------------------------
PLAIN_SPAN_KEYS = {"/Type", "/S", "/P", "/K", "/Pg"}


def flatten_spans(pdf: pikepdf.Pdf) -> int:
    """Hand the marked content of WeasyPrint's attribute-less /Span elements (one per line of
    text) to their parent — the paragraph, heading or cell: the same reading order and text for
    assistive technology, and half the structure elements less (a third of the tree's bytes).
    Returns the number of spans removed."""
    root = pdf.Root.StructTreeRoot
    nums = root.ParentTree.Nums
    # the tree, and the elements WeasyPrint lists only in the parent tree (see join)
    starts = [root.K[0]] + [_top(element) for i in range(1, len(nums), 2) if isinstance(nums[i], Array)
                            for element in nums[i] if isinstance(element, Dictionary)]
    order, stack, seen = [], starts[::-1], set()
    while stack:  # depth first; reversed below, so that nested spans fold before their parents
        element = stack.pop()
        if element.objgen in seen:
            continue
        seen.add(element.objgen)
        order.append(element)
        stack.extend(kid for kid in _kids(element) if isinstance(kid, Dictionary) and "/S" in kid)
    adopted: dict[tuple[int, int], pikepdf.Object] = {}
    for element in reversed(order):
        kids = _kids(element)
        if not any(_plain_span(kid) for kid in kids):
            continue
        page = element.get("/Pg")
        if page is None and not any(isinstance(kid, int) for kid in kids):
            page = element.Pg = next(kid.Pg for kid in kids if _plain_span(kid))
        flat = []
        for kid in kids:
            if not _plain_span(kid):
                flat.append(kid)
                continue
            content = kid.K if isinstance(kid.K, Array) else [kid.K]
            if kid.Pg.objgen == page.objgen:
                flat.extend(content)
            else:  # marked content on another page than the parent's: a marked-content reference
                flat.extend(Dictionary(Type=Name.MCR, Pg=kid.Pg, MCID=mcid) for mcid in content)
            adopted[kid.objgen] = element
        element.K = Array(flat)

    def parent_of(element):
        while element.objgen in adopted:
            element = adopted[element.objgen]
        return element

    if adopted:
        for i in range(1, len(nums), 2):
            parents = nums[i]
            if isinstance(parents, Array):
                for j, parent in enumerate(parents):
                    if isinstance(parent, Dictionary) and parent.objgen in adopted:
                        parents[j] = parent_of(parent)
    return len(adopted)


def _top(element: pikepdf.Object) -> pikepdf.Object:
    """The element's ancestor just below the /Document."""
    while isinstance(element.get("/P"), Dictionary) and element.P.get("/Type") == "/StructElem" \
            and element.P.get("/S") != "/Document":
        element = element.P
    return element


def _kids(element: pikepdf.Object) -> list:
    kids = element.get("/K")
    return list(kids) if isinstance(kids, Array) else [] if kids is None else [kids]


def _plain_span(kid) -> bool:
    """A /Span that holds only marked content of one page and says nothing itself."""
    if not isinstance(kid, Dictionary) or kid.get("/S") != "/Span" or not set(kid.keys()) <= PLAIN_SPAN_KEYS:
        return False
    content = kid.get("/K")
    return "/Pg" in kid and (isinstance(content, int) or (
        isinstance(content, Array) and len(content) > 0 and all(isinstance(c, int) for c in content)))


# -- fonts -------------------------------------------------------------------------------------
@dataclass
class _FontGroup:
    """Every composite font dictionary that embeds a subset of one installed font."""
    postscript_name: str
    fonts: list[pikepdf.Object] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    to_unicode: dict[int, bytes] = field(default_factory=dict)


def share_fonts(pdf: pikepdf.Pdf) -> int:
    """Replace the per-part subsets of each font by one; returns the number of fonts shared."""
    groups: dict[str, _FontGroup] = {}
    names_by_stream: dict[tuple[int, int], str | None] = {}
    resources = []
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", Dictionary()).get("/Font")
        if fonts is None:
            continue
        resources.append(fonts)
        for font in fonts.values():
            stream = _font_file(font)
            if stream is None:
                continue
            key = stream.objgen
            if key not in names_by_stream:
                names_by_stream[key] = _postscript_name(bytes(stream.read_bytes()))
            name = names_by_stream[key]
            if name is None:
                continue
            group = groups.setdefault(name, _FontGroup(name))
            if not any(font.objgen == known.objgen for known in group.fonts):
                group.fonts.append(font)
    replacements: dict[tuple[int, int], pikepdf.Object] = {}
    for group in groups.values():
        if len(group.fonts) < 2 or installed_font(group.postscript_name) is None:
            continue
        for font in group.fonts:
            group.widths.update({k: v for k, v in _widths(font.DescendantFonts[0].W).items()
                                 if k not in group.widths})
            for gid, text in _to_unicode(font.ToUnicode.read_bytes()).items():
                group.to_unicode.setdefault(gid, text)
        shared = _shared_font(pdf, group)
        for font in group.fonts:
            replacements[font.objgen] = shared
    if not replacements:
        return 0
    seen = set()
    for fonts in resources:
        if fonts.objgen != (0, 0) and fonts.objgen in seen:
            continue
        seen.add(fonts.objgen)
        for name in list(fonts.keys()):
            font = fonts[name]
            if font.objgen in replacements:
                fonts[name] = replacements[font.objgen]
    return len({id(v) for v in replacements.values()})


def _font_file(font: pikepdf.Object) -> pikepdf.Object | None:
    """The embedded font program of a composite font with identity encoding, else None."""
    if font.get("/Subtype") != Name.Type0 or font.get("/Encoding") != Name("/Identity-H"):
        return None
    descendant = font.DescendantFonts[0]
    if descendant.get("/CIDToGIDMap") != Name.Identity:
        return None
    descriptor = descendant.FontDescriptor
    return descriptor.get("/FontFile3") or descriptor.get("/FontFile2")


def _postscript_name(data: bytes) -> str | None:
    from fontTools.ttLib import TTFont

    try:
        name = TTFont(BytesIO(data), lazy=True)["name"].getDebugName(6)
    except Exception:  # a font the parser cannot read stays as WeasyPrint embedded it
        return None
    return name or None


@lru_cache(maxsize=None)
def installed_font(postscript_name: str) -> tuple[str, int] | None:
    """(file, face index) of the installed font with this PostScript name, by fontconfig."""
    out = subprocess.run(["fc-list", f":postscriptname={postscript_name}", "file", "index"],
                         capture_output=True, text=True).stdout
    match = re.match(r"(.+?): :index=(\d+)", out.strip().splitlines()[0]) if out.strip() else None
    return (match.group(1), int(match.group(2))) if match else None


def subset_font(path: str, index: int, glyphs: set[int]) -> bytes:
    """The font reduced to `glyphs`, glyph ids retained (as WeasyPrint subsets)."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(path), index)
    wanted = hb.SubsetInput()
    for glyph in sorted(glyphs | {0}):
        wanted.glyph_set.add(glyph)
    for tag in DROPPED_TABLES:
        wanted.drop_table_tag_set.add(int.from_bytes(tag.encode("ascii"), "big"))
    wanted.flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                    | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING)
    return bytes(hb.subset(face, wanted).blob.data)


def _widths(array: pikepdf.Array) -> dict[int, float]:
    widths, items, i = {}, list(array), 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for offset, width in enumerate(items[i + 1]):
                widths[first + offset] = float(width)
            i += 2
        else:  # `first last width` form
            for gid in range(first, int(items[i + 1]) + 1):
                widths[gid] = float(items[i + 2])
            i += 3
    return widths


def _to_unicode(cmap: bytes) -> dict[int, bytes]:
    out = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, flags=re.S):
        for gid, text in BFCHAR.findall(block):
            out[int(gid, 16)] = text
    return out


def _shared_font(pdf: pikepdf.Pdf, group: _FontGroup) -> pikepdf.Object:
    path, index = installed_font(group.postscript_name)
    first = group.fonts[0]
    descendant = first.DescendantFonts[0]
    program = pdf.make_stream(subset_font(path, index, set(group.widths) | set(group.to_unicode)))
    old_descriptor = descendant.FontDescriptor
    file_key = "/FontFile3" if "/FontFile3" in old_descriptor else "/FontFile2"
    if file_key == "/FontFile3":
        program.Subtype = Name.OpenType
    else:
        program.Length1 = len(program.read_bytes())
    descriptor = Dictionary({k: v for k, v in old_descriptor.items() if k not in ("/FontFile3", "/FontFile2", "/CIDSet")})
    descriptor[file_key] = program
    bbox = list(old_descriptor.FontBBox)
    bbox[2] = max(group.widths.values(), default=0)
    descriptor.FontBBox = Array(bbox)
    widths = Array()
    for gid in sorted(group.widths):
        if gid - 1 not in group.widths:
            widths.append(gid)
            widths.append(Array())
        widths[-1].append(group.widths[gid])
    cid_font = Dictionary({k: v for k, v in descendant.items() if k not in ("/W", "/FontDescriptor")})
    cid_font.W = widths
    cid_font.FontDescriptor = pdf.make_indirect(descriptor)
    font = Dictionary({k: v for k, v in first.items() if k not in ("/DescendantFonts", "/ToUnicode")})
    font.DescendantFonts = Array([pdf.make_indirect(cid_font)])
    font.ToUnicode = pdf.make_stream(_cmap(group.to_unicode))
    return pdf.make_indirect(font)


def _cmap(to_unicode: dict[int, bytes]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo", b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(to_unicode.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [b"<%04x> <%s>" % (gid, text) for gid, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)

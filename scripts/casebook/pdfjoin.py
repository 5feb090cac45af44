"""Join the separately rendered parts of a volume into one tagged PDF with one subset per font.

WeasyPrint writes each part (front matter, chunks of cases) as a complete tagged PDF. Joining
them with a plain page merge would keep a structure tree from the first part only and every
part's own subset of the CJK fonts (a 1,000-case volume came to 17.9 MB, most of it fonts).
Here, with pikepdf (qpdf):

- the body's parts are appended as they are written, the front matter (rendered last) put
  before them at the end; the parts' structure trees hang under one /Document element; the
  parent tree that maps marked content back to structure elements is renumbered part by part;
  each part is closed once copied, so the joining process holds the joined file only;
- every font that WeasyPrint embedded in several parts is replaced by one subset of the union of
  the glyphs the parts use. This works because WeasyPrint subsets with retained glyph ids and an
  identity CID → GID map, so glyph ids in the page content are the font's own and any superset
  serves every part. The subset is cut from the installed font file (found by its PostScript
  name through fontconfig) with HarfBuzz, as WeasyPrint does;
- the running header and the page number are stamped on every page but the cover, as
  pagination artifacts (outside the structure tree, as PDF/UA wants them): the parts are laid
  out in parallel, before anyone knows on which page of the volume they start. Their glyphs,
  shaped with HarfBuzz, join the shared subset of their font;
- `tidy_part`, run by the worker that rendered a part, folds WeasyPrint's line spans into their
  parents and trims the page content's numbers to two decimals (`compact_content`).
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


@dataclass(frozen=True)
class RunningText:
    """A line stamped on each page: `text` ("{page}" stands for the page number), centred,
    its baseline `baseline` pt above the bottom edge (from the top edge when negative)."""
    text: str
    font: str        # PostScript name of an installed font the parts already embed
    size: float      # pt
    gray: float      # fill, 0 black to 1 white
    baseline: float
    role: str        # /Header or /Footer


@dataclass(frozen=True)
class Stamp:
    lines: tuple[RunningText, ...]
    skip: int = 1  # pages at the start left blank (the cover)


class Joiner:
    """Joins the parts of one volume as they are written: the body's parts in order, then the
    front matter, put before them (it is rendered last, when the body's page numbers are known).
    The first body part's catalog (language, metadata, viewer preferences) and document
    information are kept. Every other part is closed as soon as it is copied, so that only the
    joined file is held: what qpdf would read from it later (its page content, its fonts) is read
    before, and its fonts are replaced by the shared ones."""

    def __init__(self, front_pages: int, stamp: Stamp):
        self.front_pages, self.stamp = front_pages, stamp
        self.fonts = _Fonts()
        self.pdf: pikepdf.Pdf | None = None

    def append(self, path: Path) -> None:
        """The next part of the body."""
        if self.pdf is None:
            self.pdf = pikepdf.open(path)
            root = self.pdf.Root.StructTreeRoot
            self.document, self.nums = root.K[0], root.ParentTree.Nums
            self.next_key = _next_parent_key(self.nums)
            self._finish_pages(0, len(self.pdf.pages), self.front_pages)
            return
        with pikepdf.open(path) as part:
            first = len(self.pdf.pages)
            self.pdf.pages.extend(part.pages)
            self._graft(part, first, len(self.pdf.pages))
            self._finish_pages(first, len(self.pdf.pages), self.front_pages)

    def finish(self, front: Path, target: Path, outline: list[OutlineEntry]) -> None:
        """The front matter put first, the fonts shared, the outline added; written to `target`."""
        pdf = self.pdf
        try:
            with pikepdf.open(front) as part:  # its length was checked when it was laid out
                for index, page in enumerate(part.pages):
                    pdf.pages.insert(index, page)
                self._graft(part, 0, self.front_pages, first=True)
                self._finish_pages(0, self.front_pages, 0)
            pdf.Root.StructTreeRoot.ParentTreeNextKey = self.next_key
            shared = self.fonts.share(pdf)
            stamp_fonts = list(dict.fromkeys(line.font for line in self.stamp.lines))
            missing = [font for font in stamp_fonts if font not in shared]
            if missing:
                raise ValueError(f"fonts to stamp with are not embedded or not installed: {missing}")
            for page in pdf.pages[self.stamp.skip:]:
                if "/Resources" not in page.obj:
                    page.obj.Resources = Dictionary()
                if "/Font" not in page.obj.Resources:
                    page.obj.Resources.Font = Dictionary()
                for number, font in enumerate(stamp_fonts):
                    page.obj.Resources.Font[Name(f"{STAMP_FONT}{number}")] = shared[font]
            with pdf.open_outline() as tree:
                tree.root.extend(_outline_items(outline))
            pikepdf.settings.set_flate_compression_level(9)  # 0.4% smaller, no slower here
            try:
                pdf.save(target, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
            finally:
                pikepdf.settings.set_flate_compression_level(-1)
        finally:
            pdf.close()

    def _graft(self, part: pikepdf.Pdf, start: int, end: int, first: bool = False) -> None:
        """The structure of `part`, whose pages are now pages start…end-1: its elements under the
        /Document (before the others when `first`), its parent tree numbered after ours."""
        pdf, document = self.pdf, self.document
        part_root = part.Root.StructTreeRoot
        # Copied after the pages, so the /Pg references of the elements land on the copies.
        kids = []
        for kid in part_root.K[0].K:
            kid = pdf.copy_foreign(kid)
            kid.P = document
            kids.append(kid)
        document.K = Array(kids + list(document.K)) if first else Array(list(document.K) + kids)
        part_nums = part_root.ParentTree.Nums
        for i in range(0, len(part_nums), 2):
            self.nums.append(int(part_nums[i]) + self.next_key)
            self.nums.append(_copy(pdf, part_nums[i + 1]))
        for page in pdf.pages[start:end]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + self.next_key
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + self.next_key
        self.next_key += _next_parent_key(part_nums)

    def _finish_pages(self, start: int, end: int, numbered_after: int) -> None:
        """Pages start…end-1, just copied: their fonts noted, the running lines stamped (which
        also reads their content into the joined file); page i is number numbered_after + i + 1."""
        for index in range(start, end):
            page = self.pdf.pages[index]
            self.fonts.note(page)
            number = numbered_after + index + 1
            if number > self.stamp.skip:
                _stamp_page(page, number, self.stamp, self.fonts)
            else:
                page.contents_coalesce()
                content = page.obj.Contents
                content.write(content.read_bytes())


def tidy_part(path: Path) -> None:
    """A part as WeasyPrint wrote it, with its line spans folded (`flatten_spans`) and its page
    content compacted (`compact_content`): done by the process that rendered it, in parallel
    with the others, so that the joining process neither spends the time nor holds the spans."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        flatten_spans(pdf)
        for page in pdf.pages:
            page.contents_coalesce()
            page.obj.Contents.write(compact_content(page.obj.Contents.read_bytes()))
        # no object streams: the file is read once, soon
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.disable)


# A real number's digits after the second decimal (not inside a name such as /a1.0): WeasyPrint
# writes six, in units of 0.75 pt, so the rest is under 0.0075 pt (2.6 µm) — 4% of the page
# content after compression.
EXCESS_DIGITS = re.compile(rb"(?<![\w./])(-?\d*\.\d{2})\d+")
TJ_ARRAY = re.compile(rb"\[[^\]]*\]\s*TJ")
ZERO_KERN = re.compile(rb"([0-9a-fA-F])>0<([0-9a-fA-F])")  # <0012>0<0034> → <00120034>


def compact_content(content: bytes) -> bytes:
    """WeasyPrint's page content with coordinates and colours to two decimals and the zero
    adjustments between the glyphs of a TJ array dropped. Safe for its output: text is drawn
    from hex strings, which hold no `.` and no `[`; there are no inline images."""
    content = EXCESS_DIGITS.sub(rb"\1", content)
    return TJ_ARRAY.sub(lambda array: ZERO_KERN.sub(rb"\1\2", array.group(0)), content)



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
    # the tree, and the elements WeasyPrint lists only in the parent tree (see Joiner)
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


class _Fonts:
    """The fonts of the joined file, noted page by page while each part is open; `share`
    replaces the per-part subsets of each font by one."""

    def __init__(self):
        self.groups: dict[str, _FontGroup] = {}
        self.names_by_stream: dict[tuple[int, int], str | None] = {}
        self.known: set[tuple[int, int]] = set()
        self.resources: list[pikepdf.Object] = []
        self.extra: dict[str, dict[int, tuple[float, bytes]]] = {}  # see add

    def note(self, page: pikepdf.Page) -> None:
        fonts = page.obj.get("/Resources", Dictionary()).get("/Font")
        if fonts is None:
            return
        self.resources.append(fonts)
        for font in fonts.values():
            if font.objgen in self.known:
                continue
            self.known.add(font.objgen)
            stream = _font_file(font)
            if stream is None:
                continue
            key = stream.objgen
            if key not in self.names_by_stream:
                self.names_by_stream[key] = _postscript_name(bytes(stream.read_bytes()))
            name = self.names_by_stream[key]
            if name is None:
                continue
            group = self.groups.setdefault(name, _FontGroup(name))
            group.fonts.append(font)
            for gid, width in _widths(font.DescendantFonts[0].W).items():
                group.widths.setdefault(gid, width)
            for gid, text in _to_unicode(font.ToUnicode.read_bytes()).items():
                group.to_unicode.setdefault(gid, text)

    def add(self, postscript_name: str, glyphs: tuple[tuple[int, float, str], ...]) -> None:
        """Glyphs (gid, width, text) drawn outside the parts' own text."""
        extra = self.extra.setdefault(postscript_name, {})
        for gid, width, chars in glyphs:
            extra.setdefault(gid, (width, chars.encode("utf-16-be").hex().encode()))

    def share(self, pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
        """The shared font of each group, by PostScript name, put in place of the parts' own."""
        replacements: dict[tuple[int, int], pikepdf.Object] = {}
        out = {}
        for group in self.groups.values():
            extra = self.extra.get(group.postscript_name, {})
            if (len(group.fonts) < 2 and not extra) or installed_font(group.postscript_name) is None:
                continue
            for gid, (width, text) in extra.items():
                group.widths.setdefault(gid, width)
                group.to_unicode.setdefault(gid, text)
            shared = out[group.postscript_name] = _shared_font(pdf, group)
            for font in group.fonts:
                replacements[font.objgen] = shared
        seen = set()
        for fonts in self.resources:
            if fonts.objgen != (0, 0) and fonts.objgen in seen:
                continue
            seen.add(fonts.objgen)
            for name in list(fonts.keys()):
                font = fonts[name]
                if font.objgen in replacements:
                    fonts[name] = replacements[font.objgen]
        return out


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


# -- running header and page numbers ---------------------------------------------------------
STAMP_FONT = Name("/FRun")


@lru_cache(maxsize=None)
def _hb_font(postscript_name: str):
    import uharfbuzz as hb

    path, index = installed_font(postscript_name)
    face = hb.Face(hb.Blob.from_file_path(path), index)
    return hb.Font(face), face.upem


@lru_cache(maxsize=4096)
def shape(postscript_name: str, text: str) -> tuple[tuple[int, float, str], ...]:
    """(glyph id, advance in 1/1000 em, the text it stands for) as HarfBuzz sets `text`."""
    import uharfbuzz as hb

    font, upem = _hb_font(postscript_name)
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    infos, positions = buffer.glyph_infos, buffer.glyph_positions
    clusters = sorted({info.cluster for info in infos}) + [len(text)]
    out = []
    for info, position in zip(infos, positions):
        end = clusters[clusters.index(info.cluster) + 1]
        out.append((info.codepoint, position.x_advance * 1000 / upem, text[info.cluster:end]))
    return tuple(out)


def _stamp_page(page: pikepdf.Page, number: int, stamp: Stamp, fonts: _Fonts) -> None:
    """The page's content wrapped in q … Q (WeasyPrint leaves its flipped coordinates in place),
    then the running lines drawn as pagination artifacts in the fonts named /FRun0, /FRun1…
    (put in the page's resources once the shared fonts exist)."""
    box = [float(v) for v in page.mediabox]
    width, height = box[2] - box[0], box[3] - box[1]
    names = {font: Name(f"{STAMP_FONT}{n}") for n, font in enumerate(dict.fromkeys(line.font for line in stamp.lines))}
    ops = []
    for line in stamp.lines:
        glyphs = shape(line.font, line.text.replace("{page}", str(number)))
        fonts.add(line.font, glyphs)
        advance = sum(w for _, w, _ in glyphs) * line.size / 1000
        x = box[0] + (width - advance) / 2
        y = box[1] + (line.baseline if line.baseline >= 0 else height + line.baseline)
        hexed = "".join(f"{gid:04x}" for gid, _, _ in glyphs)
        ops.append(f"/Artifact <</Type /Pagination /Subtype {line.role}>> BDC\n"
                   f"BT {names[line.font]} {line.size:g} Tf {line.gray:g} g {x:.2f} {y:.2f} Td <{hexed}> Tj ET\nEMC\n")
    page.contents_coalesce()
    content = page.obj.Contents
    content.write(b"q\n" + content.read_bytes() + b"\nQ\n" + "".join(ops).encode("ascii"))

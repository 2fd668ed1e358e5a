#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (tools/fuzz/seeds/TARGET/) from the
golden vectors and the shipped plan, and a few small documents made here.
Run from the repository root: python3 tools/fuzz/make_seeds.py. The seeds
are small on purpose; libFuzzer grows its own working corpus from them.
The `request` seeds (return files) are made with the real binary: see
BENCHMARKS.md."""

import io
import json
import os
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SEEDS = os.path.join(ROOT, "tools", "fuzz", "seeds")


def put(target, name, data):
    folder = os.path.join(SEEDS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def golden(name):
    with open(os.path.join(ROOT, "ledger", "golden", name), "rb") as f:
        return f.read()


def zipped(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files:
            z.writestr(name, text)
    return out.getvalue()


events = [json.loads(line) for line in golden("events.jsonl").splitlines()]
seen = set()
for event in events:
    kind = event["event"]["type"]
    if kind in seen or len(seen) >= 6:
        continue
    seen.add(kind)
    record = bytes.fromhex(event["record"])
    put("codec", kind, record)
    stored = bytes.fromhex(event["hash"]) + bytes(8) + record
    # verify_stored: 0 (one event, written into its block), key = seq,
    # value = a stored value.
    put("verify_stored", kind, bytes([0, event["seq"] % 8]) + stored)
put("verify_stored", "head", bytes([1 + 4 * 0 + 0, 1]) + bytes(56))


def block(events):
    """Format 3's block: each event's stored value and texts, each behind
    its length (u32 BE)."""
    out = b""
    for value, texts in events:
        for piece in (value, texts):
            out += len(piece).to_bytes(4, "big") + piece
    return out


# 1 (a whole block of the events tree, bytes as given): one cut inside its
# second event's texts, and a whole one at a key that is no multiple of 16.
two = block([(stored, b""), (stored, bytes(8))])
put("verify_stored", "block-cut", bytes([1, 0]) + two[:-3])
put("verify_stored", "block-misplaced", bytes([1, 3]) + two)
# Several writes (first byte 128 up): an event stored at a sequence number
# far past the head (key byte 100-199: the next 8 bytes are the key), with
# texts there too. Each write: tree, key, [8 key bytes], length, value.
far = (2**64 - 1).to_bytes(8, "big")
last_stored = stored[:255]
put("verify_stored", "far",
    bytes([128 + 0, 100]) + far + bytes([len(last_stored)]) + last_stored
    + bytes([1, 100]) + far + bytes([1, 0]))
put("verify_stored", "format", bytes([3, 0]) + (3).to_bytes(4, "little"))
# The snapshot tree (bit 0x40 of the tree byte; the template's snapshot is
# at seq 3): a manifest of one run that states a length its part does not
# hold (key 12: manifest of snapshot 3); a run's part overwritten (key 13:
# part 0 of the runs snapshot 3 wrote); and, as several writes, a header
# and part as planledger wrote them before manifests (keys 14 and 15).
manifest = (1024).to_bytes(8, "big") + (1).to_bytes(4, "big")
manifest += (0).to_bytes(4, "big") + (3).to_bytes(8, "big")
manifest += (0).to_bytes(4, "big") + (1).to_bytes(4, "big")
manifest += (1024).to_bytes(8, "big") + bytes(32)
put("verify_stored", "snapshot-manifest", bytes([0x40, 12]) + manifest)
put("verify_stored", "snapshot-run-part", bytes([0x40, 13]) + bytes(range(100)))
header = (1).to_bytes(4, "big") + (5).to_bytes(8, "big")
put("verify_stored", "snapshot-headed",
    bytes([0xC0, 14, len(header)]) + header + bytes([0x40, 15, 5]) + bytes(5))

put("pack", "pack.jsonl", golden("pack.jsonl"))
put("pack", "pack-v1.jsonl", golden("pack-v1.jsonl"))
put("checkpoint", "checkpoint.txt", golden("checkpoint.txt"))

for i, text in enumerate(
    ["2019-05-06", "2019-07", "2019", "5/6/19", "July 2019", "30 Sept 2019",
     "Dec 2019 (course availability)", "12/19", "16.11.2021", "Ongoing",
     "31/02/2020", "Spring 2020"]
):
    put("date", f"d{i:02}", text)

with open(os.path.join(ROOT, "ledger", "plans",
                       "west-oxfordshire-dhr-alice-action-plan.txt"), "rb") as f:
    plan = f.read()
# The first byte picks the format: 0 text, 1 docx, 2 csv, 3 xlsx, 4 ods.
put("import", "text", b"\x00" + plan[:3000])
csv = ("Agency,Action to be taken,Lead Agency,Target Date,Date of completion and Outcome\n"
       "Police,Train staff on coercive control,DI Smith,July 2019,Done 5/6/19\n"
       "Health,\"Audit records, then report\",Named Nurse,Ongoing,\n")
put("import", "csv", b"\x02" + csv.encode())
cells = "".join(
    f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>"
    for c in ["Agency", "Action to be taken", "Target Date"])
row = "".join(
    f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>"
    for c in ["Police", "Train staff", "July 2019"])
document = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    '<w:p><w:r><w:t>Domestic Homicide Review Alice: Action Plan</w:t></w:r></w:p>'
    f'<w:tbl><w:tr>{cells}</w:tr><w:tr>{row}</w:tr></w:tbl></w:body></w:document>')
put("import", "docx", b"\x01" + zipped([
    ("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    ("word/document.xml", document)]))
sheet = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Agency</t></is></c><c r="B1" t="inlineStr"><is><t>Action to be taken</t></is></c><c r="C1" t="inlineStr"><is><t>Target Date</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>Police</t></is></c><c r="B2" t="inlineStr"><is><t>Train staff</t></is></c><c r="C2"><v>43647</v></c></row>'
    '</sheetData></worksheet>')
put("import", "xlsx", b"\x03" + zipped([
    ("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'),
    ("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    ("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    ("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
    ("xl/worksheets/sheet1.xml", sheet)]))
content = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
    '<office:body><office:spreadsheet><table:table table:name="Plan">'
    '<table:table-row><table:table-cell><text:p>Agency</text:p></table:table-cell><table:table-cell><text:p>Action to be taken</text:p></table:table-cell></table:table-row>'
    '<table:table-row><table:table-cell><text:p>Police</text:p></table:table-cell><table:table-cell><text:p>Train staff</text:p></table:table-cell></table:table-row>'
    '</table:table></office:spreadsheet></office:body></office:document-content>')
ods = io.BytesIO()
with zipfile.ZipFile(ods, "w") as z:
    z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
    z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>', compress_type=zipfile.ZIP_DEFLATED)
put("import", "ods", b"\x04" + ods.getvalue())
put("import", "detect-csv", b"\x05" + csv.encode())

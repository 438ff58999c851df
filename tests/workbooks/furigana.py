# Adds furigana to a workbook's shared strings as Japanese Excel writes them: after a string's
# <t>, one <rPh sb="start" eb="end"><t>reading</t></rPh> per reading, then <phoneticPr fontId=
# "N" type="noConversion"/>. Every other part is copied as it is. Usage: furigana.py IN OUT
import sys
import zipfile

# The label, then (start, end, reading) over its characters.
READINGS = {
    "世帯主氏名": [(0, 3, "セタイヌシ"), (3, 5, "シメイ")],
    "対象者氏名": [(0, 3, "タイショウシャ"), (3, 5, "シメイ")],
    "氏名": [(0, 2, "シメイ")],
}

def furigana(xml):
    for word, readings in READINGS.items():
        plain = "<si><t xml:space=\"preserve\">%s</t></si>" % word
        if plain not in xml:
            plain = "<si><t>%s</t></si>" % word
        if plain not in xml:
            continue
        rph = "".join('<rPh sb="%d" eb="%d"><t>%s</t></rPh>' % r for r in readings)
        xml = xml.replace(plain, "<si><t>%s</t>%s<phoneticPr fontId=\"1\" type=\"noConversion\"/></si>" % (word, rph))
    return xml

src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = zin.read(info)
        if info.filename == "xl/sharedStrings.xml":
            data = furigana(data.decode("utf-8")).encode("utf-8")
        zout.writestr(info, data)

#!/usr/bin/env python3
"""The Python peer of make bench: what a municipal IT team would write instead of formagent.

It reads the transport export (CP932), maps and checks every claim as the transport rule does
(和暦 dates, yen amounts, the case number's form, amount = fare x trips x 2), and writes the same
outputs: one form per claim and a ledger with Python's XlsxWriter (Debian python3-xlsxwriter),
and the CP932 import file, each through a temporary name, fsync and rename. No audit log.

usage: peer.py EXPORT OUTDIR
"""
import csv
import datetime
import os
import re
import sys

import xlsxwriter

ERAS = {"R": 2018, "H": 1988, "S": 1925}
DATE_FMT = '[$-411]ggge"年"m"月"d"日"'
CASE = re.compile(r"^[0-9]{4}-[0-9]{5}$")
# The same scratch folder formagent and the floor are given (BENCH_TMPDIR), if any.
OPTIONS = {"tmpdir": os.environ["BENCH_TMPDIR"]} if os.environ.get("BENCH_TMPDIR") else {}
CODES = {"地下鉄": "01", "バス": "02", "JR": "03", "市電": "04", "タクシー": "05", "徒歩": "09"}


def wareki(s):
    m = re.fullmatch(r"([RHS])(\d{1,2})\.(\d{1,2})\.(\d{1,2})", s.strip())
    if not m:
        raise ValueError(f"'{s}' is not a date")
    return datetime.date(ERAS[m.group(1)] + int(m.group(2)), int(m.group(3)), int(m.group(4)))


def yen(s):
    s = s.strip().replace(",", "").removesuffix("円")
    if not s.isdigit():
        raise ValueError(f"'{s}' is not an amount")
    return int(s)


def publish(tmp, final, dirfd):
    fd = os.open(tmp, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, final)
    os.fsync(dirfd)


def form(c, outdir, dirfd):
    name = f"transport-{c['case_no']}-{c['visit_on'].isoformat()}.xlsx"
    tmp = os.path.join(outdir, "." + name + ".tmp")
    wb = xlsxwriter.Workbook(tmp, OPTIONS)
    wb.set_properties({"title": "通院移送費", "created": datetime.datetime.combine(c["applied_on"], datetime.time())})
    ws = wb.add_worksheet("支給決定書")
    base = {"font_name": "MS PGothic", "font_size": 11}
    f = lambda **kw: wb.add_format({**base, **kw})
    title = f(font_size=18, bold=True, align="center", valign="vcenter")
    label = f(border=1, pattern=1, bg_color="#EDEDED", align="center", valign="vcenter")
    value = f(border=1, valign="vcenter", indent=1)
    wrap = f(border=1, valign="top", text_wrap=True, indent=1)
    date = f(border=1, valign="vcenter", align="center", num_format=DATE_FMT)
    yenf = f(border=1, valign="vcenter", align="right", num_format='#,##0"円"')
    count = f(border=1, valign="vcenter", align="right", num_format='#,##0"回"')
    total = f(border=2, valign="vcenter", align="right", bold=True, font_size=14, num_format='#,##0"円"')
    plain = f(valign="vcenter")
    appr = f(border=1, align="center", valign="vcenter", font_size=10)
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(15 / 25.4, 15 / 25.4, 15 / 25.4, 15 / 25.4)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    for i, w in enumerate([2, 14, 24, 14, 12, 12]):
        ws.set_column(i, i, w)
    ws.set_row(3, 36)
    for r in range(5, 15):
        ws.set_row(r, 32 if r == 11 else 24)
    ws.merge_range(3, 1, 3, 5, "通院移送費 支給決定書", title)
    ws.write_string(5, 1, "ケース番号", label)
    ws.write_string(5, 2, c["case_no"], value)
    ws.write_string(5, 3, "申請日", label)
    ws.merge_range(5, 4, 5, 5, "", date)
    ws.write_datetime(5, 4, c["applied_on"], date)
    ws.write_string(6, 1, "世帯主氏名", label)
    ws.write_string(6, 2, c["householder"], value)
    ws.write_string(6, 3, "対象者氏名", label)
    ws.merge_range(6, 4, 6, 5, c["name"], value)
    ws.write_string(7, 1, "通院日", label)
    ws.write_datetime(7, 2, c["visit_on"], date)
    ws.write_string(7, 3, "交通機関", label)
    ws.merge_range(7, 4, 7, 5, c["transport"], value)
    ws.write_string(8, 1, "医療機関名", label)
    ws.merge_range(8, 2, 8, 5, c["clinic"], value)
    ws.write_string(9, 1, "経路", label)
    ws.merge_range(9, 2, 9, 5, c["route"], value)
    ws.write_string(10, 1, "片道運賃", label)
    ws.write_number(10, 2, c["fare"], yenf)
    ws.write_string(10, 3, "往復回数", label)
    ws.merge_range(10, 4, 10, 5, c["round_trips"], count)
    ws.write_string(11, 1, "支給額", label)
    ws.merge_range(11, 2, 11, 5, c["amount"], total)
    ws.write_string(12, 1, "担当CW", label)
    ws.write_string(12, 2, c["caseworker"], value)
    ws.write_string(12, 3, "入力行", label)
    ws.merge_range(12, 4, 12, 5, c["row"], value)
    ws.merge_range(13, 1, 14, 1, "備考", label)
    ws.merge_range(13, 2, 14, 5, c["note"], wrap)
    ws.merge_range(16, 1, 16, 5, "上記のとおり支給してよろしいか伺います。", plain)
    ws.write_string(0, 4, "係長", appr)
    ws.write_blank(1, 4, None, appr)
    ws.write_string(0, 5, "課長", appr)
    ws.write_blank(1, 5, None, appr)
    ws.set_row(1, 44)
    wb.close()
    publish(tmp, os.path.join(outdir, name), dirfd)


def main():
    export, outdir = sys.argv[1], sys.argv[2]
    stem = os.path.splitext(os.path.basename(export))[0]
    dirfd = os.open(outdir, os.O_RDONLY)
    good, bad = [], []
    with open(export, encoding="cp932", newline="") as fp:
        rows = csv.reader(fp)
        header = [h.strip() for h in next(rows)]
        col = {h: i for i, h in enumerate(header)}
        for n, r in enumerate(rows, start=2):
            try:
                g = lambda k: r[col[k]].strip()
                c = {"row": n, "case_no": g("ケース番号"), "householder": g("世帯主氏名"),
                     "name": g("対象者氏名"), "applied_on": wareki(g("申請日")),
                     "visit_on": wareki(g("通院日")), "clinic": g("医療機関名"), "route": g("経路"),
                     "transport": g("交通機関"), "fare": yen(g("片道運賃")),
                     "round_trips": int(g("往復回数")), "amount": yen(g("支給額")),
                     "caseworker": g("担当CW"), "note": g("備考")}
                if not CASE.match(c["case_no"]) or not c["name"] or not c["clinic"]:
                    raise ValueError("a required field is missing or malformed")
                if c["amount"] != c["fare"] * c["round_trips"] * 2:
                    raise ValueError("支給額 does not match")
                if c["visit_on"] > c["applied_on"] + datetime.timedelta(days=31):
                    raise ValueError("通院日 too late")
                c["code"] = CODES[c["transport"]]
            except (ValueError, KeyError, IndexError) as e:
                bad.append((n, str(e)))
                continue
            form(c, outdir, dirfd)
            good.append(c)
    # The ledger, row by row as the claims came.
    name = stem + ".ledger.xlsx"
    tmp = os.path.join(outdir, "." + name + ".tmp")
    wb = xlsxwriter.Workbook(tmp, {**OPTIONS, "constant_memory": True})
    ws = wb.add_worksheet("一覧")
    base = {"font_name": "MS PGothic", "font_size": 10}
    f = lambda **kw: wb.add_format({**base, **kw})
    title, head = f(font_size=14, bold=True), f(bold=True, border=1, pattern=1, bg_color="#EDEDED", align="center", text_wrap=True)
    cell, date = f(border=1), f(border=1, align="center", num_format=DATE_FMT)
    yenf, count, total = f(border=1, num_format='#,##0"円"'), f(border=1, num_format="#,##0"), f(border=2, bold=True, num_format='#,##0"円"')
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    for i, w in enumerate([5, 12, 14, 15, 15, 22, 10, 8, 12, 14]):
        ws.set_column(i, i, w)
    ws.write_string(0, 0, "通院移送費 支給一覧", title)
    ws.write_string(1, 0, f"通院移送費: {os.path.basename(export)}")
    for i, h in enumerate(["行", "ケース番号", "対象者氏名", "申請日", "通院日", "医療機関名", "片道運賃", "往復回数", "支給額", "担当CW"]):
        ws.write_string(2, i, h, head)
    ws.freeze_panes(3, 0)
    for k, c in enumerate(good, start=3):
        ws.write_number(k, 0, c["row"], count)
        ws.write_string(k, 1, c["case_no"], cell)
        ws.write_string(k, 2, c["name"], cell)
        ws.write_datetime(k, 3, c["applied_on"], date)
        ws.write_datetime(k, 4, c["visit_on"], date)
        ws.write_string(k, 5, c["clinic"], cell)
        ws.write_number(k, 6, c["fare"], yenf)
        ws.write_number(k, 7, c["round_trips"], count)
        ws.write_number(k, 8, c["amount"], yenf)
        ws.write_string(k, 9, c["caseworker"], cell)
    last = 3 + len(good)
    ws.write_string(last, 0, "合計", total)
    ws.write_formula(last, 8, f"=SUM(I4:I{last})", yenf, sum(c["amount"] for c in good))
    wb.close()
    publish(tmp, os.path.join(outdir, name), dirfd)
    # The import file for the case-management system.
    name = stem + ".import.csv"
    tmp = os.path.join(outdir, "." + name + ".tmp")
    with open(tmp, "w", encoding="cp932", newline="") as fp:
        w = csv.writer(fp, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        w.writerow(["ケース番号", "申請日", "通院日", "交通機関コード", "片道運賃", "往復回数", "支給額", "入力行"])
        for c in good:
            w.writerow([c["case_no"], c["applied_on"].strftime("%Y%m%d"), c["visit_on"].strftime("%Y%m%d"), c["code"], c["fare"], c["round_trips"], c["amount"], c["row"]])
    publish(tmp, os.path.join(outdir, name), dirfd)
    print(f"{len(good)} produced, {len(bad)} rejected", file=sys.stderr)


if __name__ == "__main__":
    main()

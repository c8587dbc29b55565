"""The ledger of unpaid invoices: every convention an export may use, every kind of bad row
(left out, listed with its line and field), and the faults that refuse the whole file."""

import datetime as dt

import pytest

from company_risk.config import ConfigError, PortfolioConfig, params_from_dict
from company_risk.portfolio import PortfolioError
from company_risk.portfolio.ledger import parse_ledger, read_ledger

CFG = PortfolioConfig(eur_rates={"USD": 0.9})
HEADER = "registry_code,invoice,amount,currency,issue_date,due_date,paid"


def parse(text: str, cfg: PortfolioConfig = CFG, encoding: str = "utf-8"):
    return parse_ledger(text.encode(encoding), "ledger.csv", cfg)


def faults(ledger) -> set[tuple[int, str]]:
    return {(e.line, e.field) for e in ledger.errors}


def test_english_header_with_commas_and_decimal_points():
    ledger = parse(
        f"{HEADER}\n"
        '10000001,A-1,"1,234.50",EUR,2025-09-01,2025-10-01,34.50\n'
        "10000002,A-2,99.9,usd,2025-09-02,2025-10-02,\n"
    )
    assert ledger.errors == ()
    rows = ledger.rows
    assert rows["line"].tolist() == [2, 3]
    assert rows["registry_code"].tolist() == ["10000001", "10000002"]
    assert rows["amount"].tolist() == [1234.5, 99.9]
    assert rows["paid"].tolist() == [34.5, 0.0]
    assert rows["currency"].tolist() == ["EUR", "USD"]
    assert rows["open_eur"].tolist() == [1200.0, round(99.9 * 0.9, 2)]
    assert rows["issue_date"].dt.date.tolist() == [dt.date(2025, 9, 1), dt.date(2025, 9, 2)]
    assert rows["due_date"].dt.date.tolist() == [dt.date(2025, 10, 1), dt.date(2025, 10, 2)]


def test_estonian_export_semicolons_decimal_comma_bom_and_aliases():
    text = (
        " REG.KOOD ;Arve Number;Klient;SUMMA;valuuta;Kuupäev;tähtaeg;Laekunud\n"
        "10000001;7;Mati Maasikas;1 234,50;EUR;01.09.2025;1.10.2025;234,50\n"
        "10000002;8;Kati Karu;1.234,50;EUR;2025-09-01;15.10.2025;\n"
        "\n"
        "10000003;9;;12,5;EUR;01.09.2025;01.10.2025;\n"
    )
    ledger = parse(text, encoding="utf-8-sig")
    assert ledger.errors == ()
    assert ledger.rows["line"].tolist() == [2, 3, 5]  # the blank line counts as a line
    assert ledger.rows["amount"].tolist() == [1234.5, 1234.5, 12.5]
    assert ledger.rows["paid"].tolist() == [234.5, 0.0, 0.0]
    assert ledger.rows["open_eur"].tolist() == [1000.0, 1234.5, 12.5]
    assert ledger.rows["due_date"].dt.date.tolist()[0] == dt.date(2025, 10, 1)
    # the customer's contact column is never read
    assert "Mati Maasikas" not in ledger.rows.to_csv()


def test_the_paid_column_may_be_left_out():
    ledger = parse(
        "Registrikood;Arve nr;Summa;Valuuta;Arve kuupäev;Maksetähtaeg\n"
        "10000001;1;10;EUR;01.09.2025;01.10.2025\n"
    )
    assert ledger.rows["paid"].tolist() == [0.0]


@pytest.mark.parametrize(
    ("cells", "separator", "expected"),
    [
        # a cell that only one reading allows decides the whole file
        (["1,234", "12.5"], ",", [1234.0, 12.5]),
        (["1.234", "12,5"], ";", [1234.0, 12.5]),
        # nothing tells: the separator's custom (a `;` file writes a decimal comma)
        (["1,234", "7"], ";", [1.234, 7.0]),
        (["1.234", "7"], ",", [1.234, 7.0]),
        # space-grouped thousands read the same either way
        (["1 234 567,89", "1 000"], ";", [1234567.89, 1000.0]),
    ],
)
def test_decimal_marks_and_thousands_separators(cells, separator, expected):
    header = HEADER.replace(",", separator)
    lines = [
        separator.join(
            ["1000000" + str(i), f"A{i}", f'"{cell}"', "EUR", "2025-09-01", "2025-10-01", ""]
        )
        for i, cell in enumerate(cells)
    ]
    ledger = parse("\n".join([header, *lines]) + "\n")
    assert ledger.errors == ()
    assert ledger.rows["amount"].tolist() == expected


def test_a_cell_that_reads_two_ways_in_a_file_of_both_marks_is_a_bad_row():
    ledger = parse(
        f"{HEADER}\n"
        '10000001,A1,"1.234,50",EUR,2025-09-01,2025-10-01,\n'
        '10000002,A2,"1,234.50",EUR,2025-09-01,2025-10-01,\n'
        '10000003,A3,"1,234",EUR,2025-09-01,2025-10-01,\n'
    )
    assert ledger.rows["amount"].tolist() == [1234.5, 1234.5]
    assert faults(ledger) == {(4, "amount")}


def test_every_kind_of_bad_row_is_left_out_and_named_by_line_and_field():
    text = (
        f"{HEADER}\n"
        "10000001,GOOD,100,EUR,2025-09-01,2025-10-01,\n"  # line 2
        "1000001,BADCODE,100,EUR,2025-09-01,2025-10-01,\n"  # 3
        "10000003,BADAMOUNT,12abc,EUR,2025-09-01,2025-10-01,\n"  # 4
        "10000004,NEGATIVE,-5,EUR,2025-09-01,2025-10-01,\n"  # 5
        "10000005,BADDATE,100,EUR,2025-02-30,2025-10-01,\n"  # 6
        "10000006,BADDUE,100,EUR,2025-09-01,01/10/2025,\n"  # 7
        "10000007,EARLY,100,EUR,2025-09-01,2025-08-01,\n"  # 8
        "10000008,SEK,100,SEK,2025-09-01,2025-10-01,\n"  # 9
        "10000001,GOOD,50,EUR,2025-09-02,2025-10-02,\n"  # 10: the same invoice again
        "10000010,OVERPAID,100,EUR,2025-09-01,2025-10-01,150\n"  # 11
        "10000011,,100,EUR,2025-09-01,2025-10-01,\n"  # 12: no invoice number
        "10000012,NOCURRENCY,100,,2025-09-01,2025-10-01,\n"  # 13
        "10000013,BADPAID,100,EUR,2025-09-01,2025-10-01,x\n"  # 14
        "10000014,SPLIT,100,50,EUR,2025-09-01,2025-10-01,\n"  # 15: an unquoted decimal comma
    )
    ledger = parse(text)
    assert faults(ledger) == {
        (3, "registry_code"),
        (4, "amount"),
        (5, "amount"),
        (6, "issue_date"),
        (7, "due_date"),
        (8, "due_date"),
        (9, "currency"),
        (10, "invoice"),
        (11, "paid"),
        (12, "invoice"),
        (13, "currency"),
        (14, "paid"),
        (15, "row"),
    }
    assert ledger.rows["invoice"].tolist() == ["GOOD"]
    assert ledger.rows["amount"].tolist() == [100.0]  # the first of the duplicates stands
    assert ledger.data_rows == 14
    reasons = {(e.line, e.field): e.reason for e in ledger.errors}
    assert reasons[(10, "invoice")] == "invoice GOOD of customer 10000001 is already on line 2"
    assert reasons[(12, "invoice")] == reasons[(13, "currency")] == "missing value"
    assert "SEK" in reasons[(9, "currency")] and "portfolio.eur_rates" in reasons[(9, "currency")]
    assert "150.00 is more than the amount 100.00" in reasons[(11, "paid")]
    assert "before the issue date 2025-09-01" in reasons[(8, "due_date")]
    assert reasons[(15, "row")] == "8 fields, but the rows have 7"
    # each error names the file, the line and the field
    first = str(ledger.errors[0])
    assert first == "ledger.csv, line 3, registry_code: not an 8-digit registry code"
    # the frame form has every fault
    frame = ledger.errors_frame()
    assert list(frame.columns) == ["file", "line", "field", "value", "reason"]
    assert len(frame) == 13 and set(frame["file"]) == {"ledger.csv"}
    assert frame.loc[frame["line"] == 4, "value"].tolist() == ["12abc"]


def test_a_personal_code_in_the_code_column_is_never_echoed():
    ledger = parse(
        f"{HEADER}\n"
        "10000001,A1,100,EUR,2025-09-01,2025-10-01,\n"
        "38001010000,A2,100,EUR,2025-09-01,2025-10-01,\n"
    )
    (error,) = ledger.errors
    assert (error.line, error.field) == (3, "registry_code")
    assert error.value == ""
    assert "personal code" in error.reason and "38001010000" not in str(error)


def test_a_missing_row_value_names_each_field():
    ledger = parse(f"{HEADER}\n10000001,A1,100,EUR,2025-09-01,2025-10-01,\n10000002,A2\n")
    assert faults(ledger) == {
        (3, "amount"),
        (3, "currency"),
        (3, "issue_date"),
        (3, "due_date"),
    }


def test_read_ledger_names_the_file(tmp_path):
    path = tmp_path / "arved.csv"
    path.write_text(f"{HEADER}\n10000001,A1,100,EUR,2025-09-01,2025-10-01,\n1,A2,1,EUR,x,y,\n")
    ledger = read_ledger(path, CFG)
    assert ledger.source == str(path)
    assert str(ledger.errors[0]).startswith(f"{path}, line 3, registry_code:")
    with pytest.raises(PortfolioError, match="cannot read the ledger"):
        read_ledger(tmp_path / "missing.csv", CFG)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        ("Registrikood;Summa\n".encode("cp1257") + "õ".encode("cp1257"), "not UTF-8 text"),
        (b"\x00\x01PK", "a binary file"),
        (HEADER.encode() + b"\n", "the header is followed by no invoice"),
        (
            b"registry_code,invoice,currency,issue_date,due_date\n10000001,A,EUR,2025-09-01,2025-10-01\n",
            r"no column for amount .*names accepted: amount: amount, summa",
        ),
        (
            b"registry_code,invoice,amount,summa,currency,issue_date,due_date\n",
            "columns 'amount' and 'summa' both name the field amount",
        ),
        (
            f"{HEADER}\n10000001,A1,abc,EUR,2025-09-01,2025-10-01,\n1,A2,5,EUR,2025-09-01,2025-10-01,\n".encode(),
            r"none of its 2 rows can be used; the first faults: ledger.csv, line 2, amount: not an "
            r"amount; ledger.csv, line 3, registry_code",
        ),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_whole(data, message):
    with pytest.raises(PortfolioError, match=rf"^ledger\.csv[:,] .*{message}"):
        parse_ledger(data, "ledger.csv", CFG)


def test_rates_are_checked_when_params_are_read():
    assert params_from_dict({"portfolio": {"eur_rates": {"USD": 0.92}}}).portfolio.eur_rates == {
        "USD": 0.92
    }
    for rates in ({"usd": 0.9}, {"USD": 0}, {"EUR": 1.0}, {"DOLLAR": 1.0}, {"USD": "x"}):
        with pytest.raises(ConfigError, match=r"portfolio\.eur_rates"):
            params_from_dict({"portfolio": {"eur_rates": rates}})
    with pytest.raises(ConfigError, match=r"params\.portfolio: unknown key\(s\) rates"):
        params_from_dict({"portfolio": {"rates": {}}})


def test_an_export_that_ends_every_row_with_a_separator():
    ledger = parse(
        "Registrikood;Arve nr;Summa;Valuuta;Arve kuupäev;Maksetähtaeg\n"
        "10000001;1;10,5;EUR;01.09.2025;01.10.2025;\n"
        "10000002;2;11;EUR;01.09.2025;01.10.2025;\n"
        "10000003;3;12;EUR;01.09.2025;01.10.2025;;x\n"
    )
    assert ledger.rows["amount"].tolist() == [10.5, 11.0]
    assert [str(e) for e in ledger.errors] == [
        "ledger.csv, line 4, row: 8 fields, but the rows have 7"
    ]

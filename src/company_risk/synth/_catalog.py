"""Reference data of the synthetic register: sectors, counties, legal forms, names.

Plain constants, kept apart from the dynamics so the simulation reads as the causal story and
this file as the look-up tables behind it. The weights follow the shape of the Estonian register
(Harju county about half of all companies, professional services and trade the largest EMTAK
sections, nearly all companies private limited companies); the EMTAK and EHAK codes are real
codes of the classifications.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sector:
    """An EMTAK section: its share of companies, its health effect and business-cycle beta."""

    letter: str
    weight: float
    health: float  # shift of the long-run health of companies in the section
    cycle_beta: float  # sensitivity of health to the business cycle
    # (EMTAK 2008 code, its text, EMTAK 2025 code, its text): the same activity in both
    # classifications (NACE Rev. 2 and Rev. 2.1), 5-digit codes as the register writes them
    activities: tuple[tuple[str, str, str, str], ...]
    words: tuple[str, ...]  # words used in company names of the section


SECTORS: tuple[Sector, ...] = (
    Sector(
        "A",
        0.045,
        0.00,
        0.7,
        (
            (
                "01111",
                "Teravilja (v.a riis), kaunvilja ja õliseemnete kasvatamine",
                "01111",
                "Teravilja (v.a riis), kaunvilja ja õliseemnete kasvatamine",
            ),
            ("02201", "Metsavarumine", "02201", "Metsavarumine"),
        ),
        ("Agro", "Talu", "Mets", "Põld"),
    ),
    Sector(
        "B",
        0.003,
        0.00,
        1.0,
        (
            (
                "08121",
                "Kruusa- ja liivakarjääride tegevus",
                "08121",
                "Kruusa- ja liivakarjääride tegevus",
            ),
        ),
        ("Karjäär", "Kaevandus"),
    ),
    Sector(
        "C",
        0.060,
        0.00,
        1.1,
        (
            ("16101", "Saematerjali tootmine", "16111", "Saematerjali tootmine ja hööveldamine"),
            (
                "25111",
                "Metallkonstruktsioonide ja nende osade tootmine",
                "25111",
                "Metallkonstruktsioonide ja nende osade tootmine",
            ),
            (
                "10711",
                "Leiva ja värskete saiakeste tootmine",
                "10711",
                "Leiva ja värskete saiakeste tootmine",
            ),
        ),
        ("Puit", "Metall", "Tootmine", "Tehas"),
    ),
    Sector(
        "D",
        0.005,
        0.20,
        0.3,
        (("35111", "Elektrienergia tootmine", "35111", "Elektrienergia tootmine"),),
        ("Energia", "Elekter"),
    ),
    Sector(
        "E",
        0.005,
        0.10,
        0.5,
        (("38111", "Tavajäätmete kogumine", "38111", "Tavajäätmete kogumine"),),
        ("Keskkond", "Jäätmed"),
    ),
    Sector(
        "F",
        0.105,
        -0.25,
        1.6,
        (
            (
                "41201",
                "Elamute ja mitteeluhoonete ehitus",
                "41001",
                "Elamute ja mitteeluhoonete ehitus",
            ),
            ("43341", "Värvimine ja klaasimine", "43341", "Värvimine ja klaasimine"),
            ("43211", "Elektriinstallatsioon", "43211", "Elektriinstallatsioon"),
        ),
        ("Ehitus", "Ehitustööd", "Remont", "Katus", "Betoon"),
    ),
    Sector(
        "G",
        0.140,
        -0.10,
        1.0,
        (
            (
                "47191",
                "Jaemüük mittespetsialiseeritud kauplustes",
                "47121",
                "Muu jaemüük mittespetsialiseeritud kauplustes",
            ),
            (
                "46901",
                "Spetsialiseerimata hulgikaubandus",
                "46901",
                "Spetsialiseerimata hulgikaubandus",
            ),
            (
                "45111",
                "Sõiduautode ja väikebusside jae- ja hulgimüük",
                "47811",
                "Mootorsõidukite jaemüük",
            ),
        ),
        ("Kaubandus", "Hulgi", "Trade", "Market"),
    ),
    Sector(
        "H",
        0.055,
        -0.15,
        1.2,
        (
            ("49411", "Maanteekaubavedu", "49411", "Maanteekaubavedu"),
            (
                "52291",
                "Muud veondust abistavad tegevused",
                "52261",
                "Muud veondust abistavad tegevused",
            ),
        ),
        ("Transport", "Logistika", "Vedu", "Cargo"),
    ),
    Sector(
        "I",
        0.035,
        -0.30,
        1.5,
        (
            ("56101", "Restoranid", "56111", "Restoranid"),
            ("55101", "Hotellid", "55101", "Hotellid"),
        ),
        ("Resto", "Kohvik", "Majutus", "Catering"),
    ),
    Sector(
        "J",
        0.075,
        0.10,
        0.6,
        (
            ("62011", "Programmeerimine", "62101", "Programmeerimine"),
            (
                "62021",
                "Arvutialane konsultatsioon",
                "62201",
                "Arvutialane konsultatsioon ja arvutisüsteemide haldus",
            ),
            ("58191", "Muu kirjastamine", "58191", "Muu kirjastamine"),
        ),
        ("IT", "Tarkvara", "Digital", "Tech"),
    ),
    Sector(
        "K",
        0.040,
        0.00,
        0.8,
        (
            (
                "64991",
                "Mujal liigitamata finantsteenuste osutamine",
                "64991",
                "Mujal liigitamata finantsteenuste osutamine",
            ),
            (
                "66221",
                "Kindlustusagentide ja -maaklerite tegevus",
                "66221",
                "Kindlustusagentide ja -maaklerite tegevus",
            ),
        ),
        ("Invest", "Kapital", "Finance"),
    ),
    Sector(
        "L",
        0.090,
        0.05,
        1.2,
        (
            (
                "68201",
                "Enda või renditud kinnisvara üürileandmine ja käitus",
                "68201",
                "Enda või renditud kinnisvara üürileandmine ja käitus",
            ),
            ("68311", "Kinnisvarabüroode tegevus", "68311", "Kinnisvarabüroode tegevus"),
        ),
        ("Kinnisvara", "Haldus", "Property", "Kodu"),
    ),
    Sector(
        "M",
        0.140,
        0.10,
        0.7,
        (
            (
                "70221",
                "Muu ärialane ja juhtimisalane nõustamine",
                "70201",
                "Ärialane ja muu juhtimisalane nõustamine",
            ),
            (
                "69201",
                "Raamatupidamine ja finantsaudit; maksualane nõustamine",
                "69201",
                "Raamatupidamine ja finantsaudit; maksualane nõustamine",
            ),
            (
                "71121",
                "Inseneritegevused ja nendega seotud tehniline nõustamine",
                "71121",
                "Inseneritegevused ja nendega seotud tehniline nõustamine",
            ),
            ("73111", "Reklaamiagentuuride tegevus", "73111", "Reklaamiagentuuride tegevus"),
        ),
        ("Konsult", "Nõustamine", "Partners", "Consulting"),
    ),
    Sector(
        "N",
        0.060,
        -0.15,
        1.0,
        (
            ("81211", "Hoonete üldpuhastus", "81211", "Hoonete üldpuhastus"),
            (
                "77111",
                "Sõiduautode ja väikeveokite rent ja kasutusrent",
                "77111",
                "Sõiduautode ja väikeveokite rent ja kasutusrent",
            ),
        ),
        ("Teenused", "Puhastus", "Rent", "Service"),
    ),
    Sector(
        "P",
        0.022,
        0.05,
        0.5,
        (
            ("85599", "Mujal liigitamata koolitus", "85599", "Mujal liigitamata koolitus"),
            ("85511", "Spordi- ja vabaajakoolitus", "85511", "Spordi- ja vabaajakoolitus"),
        ),
        ("Koolitus", "Akadeemia"),
    ),
    Sector(
        "Q",
        0.030,
        0.25,
        0.3,
        (
            ("86231", "Hambaravi", "86231", "Hambaravi"),
            (
                "86909",
                "Muud tervishoiualased tegevused",
                "86991",
                "Muud mujal liigitamata tervishoiualased tegevused",
            ),
        ),
        ("Kliinik", "Hambaravi", "Tervis"),
    ),
    Sector(
        "R",
        0.030,
        -0.15,
        1.2,
        (
            (
                "93131",
                "Kehalise vormisoleku keskuste tegevus",
                "93131",
                "Kehalise vormisoleku keskuste tegevus",
            ),
            ("90011", "Lavakunst", "90201", "Lavakunst"),
        ),
        ("Sport", "Studio", "Meedia"),
    ),
    Sector(
        "S",
        0.060,
        -0.10,
        0.9,
        (
            ("96021", "Juuksuri- ja muu iluteenindus", "96211", "Juuksuriteenused"),
            (
                "95111",
                "Arvutite ja arvuti välisseadmete parandus",
                "95101",
                "Arvutite ja sideseadmete parandus",
            ),
        ),
        ("Ilu", "Salong", "Hooldus"),
    ),
)


@dataclass(frozen=True)
class County:
    """A county (maakond) and the EHAK settlements its companies are placed in."""

    name: str
    weight: float
    settlements: tuple[tuple[str, str], ...]  # (4-digit EHAK code, settlement as in an address)


COUNTIES: tuple[County, ...] = (
    County(
        "Harju maakond",
        0.52,
        (
            ("0298", "Kesklinna linnaosa, Tallinn"),
            ("0387", "Lasnamäe linnaosa, Tallinn"),
            ("0482", "Mustamäe linnaosa, Tallinn"),
            ("0614", "Põhja-Tallinna linnaosa, Tallinn"),
            ("0176", "Haabersti linnaosa, Tallinn"),
            ("0339", "Kristiine linnaosa, Tallinn"),
            ("0524", "Nõmme linnaosa, Tallinn"),
            ("0596", "Pirita linnaosa, Tallinn"),
            ("0653", "Rae vald"),
            ("0890", "Viimsi vald"),
            ("0726", "Saue vald"),
            ("0245", "Jõelähtme vald"),
            ("0296", "Keila linn"),
            ("0198", "Harku vald"),
        ),
    ),
    County(
        "Tartu maakond",
        0.11,
        (
            ("0793", "Tartu linn"),
            ("0796", "Tartu vald"),
            ("0171", "Elva vald"),
            ("0283", "Kambja vald"),
        ),
    ),
    County(
        "Ida-Viru maakond",
        0.05,
        (
            ("0511", "Narva linn"),
            ("0309", "Kohtla-Järve linn"),
            ("0735", "Sillamäe linn"),
            ("0442", "Lüganuse vald"),
        ),
    ),
    County(
        "Pärnu maakond",
        0.06,
        (("0624", "Pärnu linn"), ("0638", "Põhja-Pärnumaa vald"), ("0807", "Tori vald")),
    ),
    County(
        "Lääne-Viru maakond",
        0.04,
        (("0663", "Rakvere linn"), ("0901", "Vinni vald"), ("0792", "Tapa vald")),
    ),
    County(
        "Viljandi maakond",
        0.03,
        (("0899", "Viljandi linn"), ("0615", "Põhja-Sakala vald"), ("0480", "Mulgi vald")),
    ),
    County("Rapla maakond", 0.025, (("0668", "Rapla vald"), ("0317", "Kohila vald"))),
    County("Võru maakond", 0.02, (("0919", "Võru linn"), ("0917", "Võru vald"))),
    County("Saare maakond", 0.03, (("0714", "Saaremaa vald"),)),
    County("Jõgeva maakond", 0.015, (("0247", "Jõgeva vald"), ("0618", "Põltsamaa vald"))),
    County("Järva maakond", 0.02, (("0567", "Paide linn"), ("0834", "Türi vald"))),
    County("Valga maakond", 0.015, (("0557", "Valga vald"), ("0566", "Otepää vald"))),
    County("Põlva maakond", 0.015, (("0622", "Põlva vald"), ("0708", "Räpina vald"))),
    County("Lääne maakond", 0.02, (("0184", "Haapsalu linn"), ("0441", "Lääne-Nigula vald"))),
    County("Hiiu maakond", 0.01, (("0205", "Hiiumaa vald"),)),
)


@dataclass(frozen=True)
class LegalForm:
    code: str  # as in a company name and the register's short form
    text: str  # ettevotja_oiguslik_vorm
    capital_choices: tuple[float, ...]  # typical share capitals (EUR)
    capital_weights: tuple[float, ...]


OU = LegalForm(
    "OÜ",
    "Osaühing",
    (0.0, 2500.0, 2556.0, 3000.0, 5000.0, 10000.0, 25000.0),
    (0.10, 0.62, 0.10, 0.05, 0.07, 0.04, 0.02),
)
LEGAL_FORMS: tuple[LegalForm, ...] = (
    OU,
    LegalForm(
        "AS",
        "Aktsiaselts",
        (25000.0, 25600.0, 50000.0, 100000.0, 500000.0),
        (0.45, 0.15, 0.15, 0.15, 0.10),
    ),
    LegalForm("TÜ", "Täisühing", (0.0,), (1.0,)),
    LegalForm("UÜ", "Usaldusühing", (0.0, 1000.0), (0.7, 0.3)),
    LegalForm("TÜH", "Tulundusühistu", (0.0, 500.0, 2500.0), (0.4, 0.3, 0.3)),
)

NAME_PREFIXES = (
    "Põhja",
    "Lõuna",
    "Ida",
    "Lääne",
    "Balti",
    "Tamme",
    "Kase",
    "Männi",
    "Mere",
    "Kivi",
    "Sini",
    "Rohe",
    "Valge",
    "Kuld",
    "Hõbe",
    "Vana",
    "Uus",
    "Eesti",
    "Tallinna",
    "Tartu",
    "Pärnu",
    "Harju",
    "Saare",
    "Järve",
    "Metsa",
    "Kalju",
    "Päikese",
    "Tähe",
    "Nord",
    "Baltic",
    "Alfa",
    "Vita",
    "Opti",
    "Smart",
    "Green",
    "Prime",
    "Nova",
    "Aura",
    "Linna",
    "Ranna",
    "Oru",
    "Mäe",
    "Välja",
    "Silla",
    "Laine",
    "Tuule",
    "Kuu",
    "Lepa",
    "Kadaka",
    "Vahtra",
)
NAME_TAILS = (
    "",
    "",
    "",
    "",
    "",
    "Grupp",
    "Partnerid",
    "Holding",
    "Pluss",
    "Team",
    "Keskus",
    "Projekt",
)

STREETS = (
    "Pärnu mnt",
    "Narva mnt",
    "Tartu mnt",
    "Vabriku tn",
    "Kooli tn",
    "Pargi tn",
    "Aia tn",
    "Tööstuse tn",
    "Sadama tn",
    "Jaama tn",
    "Lille tn",
    "Kase tn",
    "Tamme tn",
    "Ranna tee",
    "Mäe tn",
    "Põllu tn",
    "Peterburi tee",
    "Kalda tn",
    "Riia tn",
    "Lossi tn",
    "Turu tn",
    "Vee tn",
    "Metsa tn",
    "Kesk tn",
)

MALE_NAMES = (
    "Andres",
    "Jaan",
    "Toomas",
    "Mart",
    "Peeter",
    "Tõnu",
    "Rein",
    "Margus",
    "Urmas",
    "Priit",
    "Kristjan",
    "Siim",
    "Rasmus",
    "Marko",
    "Aivar",
    "Indrek",
    "Kalle",
    "Tiit",
    "Raivo",
    "Ain",
    "Jüri",
    "Ants",
    "Sander",
    "Martin",
    "Karl",
    "Oliver",
    "Mihkel",
    "Erik",
    "Aleksei",
    "Sergei",
    "Dmitri",
    "Andrei",
    "Tarmo",
    "Veiko",
    "Janek",
    "Kaspar",
)
FEMALE_NAMES = (
    "Kadri",
    "Mari",
    "Tiina",
    "Anne",
    "Katrin",
    "Kristiina",
    "Liis",
    "Kersti",
    "Eve",
    "Triin",
    "Maarja",
    "Piret",
    "Helen",
    "Merike",
    "Ülle",
    "Kaja",
    "Laura",
    "Anna",
    "Elena",
    "Olga",
    "Jelena",
    "Svetlana",
    "Marina",
    "Karin",
    "Sirje",
    "Reet",
    "Marju",
    "Kertu",
)
LAST_NAMES = (
    "Tamm",
    "Saar",
    "Sepp",
    "Mägi",
    "Kask",
    "Kukk",
    "Rebane",
    "Ilves",
    "Pärn",
    "Koppel",
    "Lepik",
    "Oja",
    "Kuusk",
    "Karu",
    "Lill",
    "Raudsepp",
    "Vaher",
    "Põder",
    "Kallas",
    "Luik",
    "Lõhmus",
    "Laur",
    "Kivi",
    "Jõgi",
    "Org",
    "Aavik",
    "Teder",
    "Valk",
    "Mets",
    "Kütt",
    "Parts",
    "Ivanov",
    "Smirnov",
    "Kuznetsov",
    "Vassiljev",
    "Petrov",
    "Popov",
    "Sokolov",
    "Männik",
    "Kangur",
    "Unt",
    "Ots",
    "Rand",
    "Toom",
    "Külm",
    "Allik",
    "Nurk",
    "Väli",
)

# EMTAK 2008 section names as the Tax and Customs Board writes them: in capitals, Estonian in the
# older quarterly files, English in the current ones.
SECTION_NAMES_ET = {
    "A": "PÕLLUMAJANDUS, METSAMAJANDUS JA KALAPÜÜK",
    "B": "MÄETÖÖSTUS",
    "C": "TÖÖTLEV TÖÖSTUS",
    "D": "ELEKTRIENERGIA, GAASI, AURU JA KONDITSIONEERITUD ÕHUGA VARUSTAMINE",
    "E": "VEEVARUSTUS; KANALISATSIOON, JÄÄTME- JA SAASTEKÄITLUS",
    "F": "EHITUS",
    "G": "HULGI- JA JAEKAUBANDUS; MOOTORSÕIDUKITE JA MOOTORRATASTE REMONT",
    "H": "VEONDUS JA LAONDUS",
    "I": "MAJUTUS JA TOITLUSTUS",
    "J": "INFO JA SIDE",
    "K": "FINANTS- JA KINDLUSTUSTEGEVUS",
    "L": "KINNISVARAALANE TEGEVUS",
    "M": "KUTSE-, TEADUS- JA TEHNIKAALANE TEGEVUS",
    "N": "HALDUS- JA ABITEGEVUSED",
    "O": "AVALIK HALDUS JA RIIGIKAITSE; KOHUSTUSLIK SOTSIAALKINDLUSTUS",
    "P": "HARIDUS",
    "Q": "TERVISHOID JA SOTSIAALHOOLEKANNE",
    "R": "KUNST, MEELELAHUTUS JA VABA AEG",
    "S": "MUUD TEENINDAVAD TEGEVUSED",
}
SECTION_NAMES_EN = {
    "A": "AGRICULTURE, FORESTRY AND FISHING",
    "B": "MINING AND QUARRYING",
    "C": "MANUFACTURING",
    "D": "ELECTRICITY, GAS, STEAM AND AIR CONDITIONING SUPPLY",
    "E": "WATER SUPPLY; SEWERAGE, WASTE MANAGEMENT AND REMEDIATION ACTIVITIES",
    "F": "CONSTRUCTION",
    "G": "WHOLESALE AND RETAIL TRADE; REPAIR OF MOTOR VEHICLES AND MOTORCYCLES",
    "H": "TRANSPORTATION AND STORAGE",
    "I": "ACCOMMODATION AND FOOD SERVICE ACTIVITIES",
    "J": "INFORMATION AND COMMUNICATION",
    "K": "FINANCIAL AND INSURANCE ACTIVITIES",
    "L": "REAL ESTATE ACTIVITIES",
    "M": "PROFESSIONAL, SCIENTIFIC AND TECHNICAL ACTIVITIES",
    "N": "ADMINISTRATIVE AND SUPPORT SERVICE ACTIVITIES",
    "O": "PUBLIC ADMINISTRATION AND DEFENCE; COMPULSORY SOCIAL SECURITY",
    "P": "EDUCATION",
    "Q": "HUMAN HEALTH AND SOCIAL WORK ACTIVITIES",
    "R": "ARTS, ENTERTAINMENT AND RECREATION",
    "S": "OTHER SERVICE ACTIVITIES",
}


@dataclass(frozen=True)
class Country:
    """A country foreign board members and partners come from (ISO 3166 alpha-3 as the register
    writes it), with names and towns to make them look like its residents."""

    code: str
    text: str  # the register's Estonian name of the country (`valis_kood_riik_tekstina`)
    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    towns: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country(
        "FIN",
        "Soome",
        0.34,
        ("Jukka Pekka", "Mikko", "Antti", "Juha", "Timo", "Kari", "Sanna", "Päivi", "Anna-Liisa"),
        ("Virtanen", "Korhonen", "Nieminen", "Mäkinen", "Heikkinen", "Koskinen", "Lehtonen"),
        ("Helsinki", "Espoo", "Tampere", "Lahti"),
    ),
    Country(
        "RUS",
        "Venemaa",
        0.15,
        ("Aleksandr", "Dmitri", "Sergei", "Olga", "Natalja", "Vladimir"),
        ("Ivanov", "Smirnov", "Kuznetsov", "Popova", "Volkov", "Morozova"),
        ("Moskva", "Sankt-Peterburg"),
    ),
    Country(
        "LVA",
        "Läti",
        0.12,
        ("Jānis", "Andris", "Pēteris", "Inese", "Ilze"),
        ("Bērziņš", "Kalniņš", "Ozols", "Liepa", "Krūmiņa"),
        ("Riia", "Valmiera"),
    ),
    Country(
        "UKR",
        "Ukraina",
        0.13,
        ("Oleksandr", "Andrii", "Iryna", "Olena"),
        ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko"),
        ("Kyiv", "Lviv"),
    ),
    Country(
        "SWE",
        "Rootsi",
        0.09,
        ("Erik", "Lars", "Anders", "Karin", "Sofia"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson"),
        ("Stockholm", "Göteborg"),
    ),
    Country(
        "LTU",
        "Leedu",
        0.09,
        ("Tomas", "Mindaugas", "Rūta", "Jonas"),
        ("Kazlauskas", "Jankauskas", "Petrauskaitė"),
        ("Vilnius", "Kaunas"),
    ),
    Country(
        "DEU",
        "Saksamaa",
        0.08,
        ("Thomas", "Michael", "Stefan", "Julia"),
        ("Müller", "Schmidt", "Schneider", "Fischer"),
        ("Berlin", "Hamburg"),
    ),
)
COUNTRY_TEXT = {"EST": "Eesti", **{c.code: c.text for c in COUNTRIES}}

# Foreign legal persons on registry cards: (name, foreign registry code, country, town). The
# share registers of Estonian public limited companies are mostly kept by the central securities
# depository, the first entry.
SHARE_REGISTER_KEEPER = ("Nasdaq CSD SE", "40003242879", "LVA", "Valnu iela 1, Riia")
FOREIGN_ENTITIES = (
    ("Nordic Holding Oy", "2345678-9", "FIN", "Helsinki"),
    ("Baltic Invest SIA", "40103456789", "LVA", "Riia"),
    ("Scandi Partners AB", "556123-4567", "SWE", "Stockholm"),
    ("Ost Beteiligungs GmbH", "HRB 123456", "DEU", "Hamburg"),
    ("Amber Capital UAB", "305123456", "LTU", "Vilnius"),
)

# The register's standard rule of representation, by legal form (roll, text)
REPRESENTATION = {
    "OÜ": ("JUHL", "Osaühingut võib kõikide tehingute tegemisel esindada iga juhatuse liige."),
    "AS": ("JUHL", "Aktsiaseltsi võib kõikide tehingute tegemisel esindada iga juhatuse liige."),
    "TÜ": ("TOSAN", "Täisühingut võib kõikide tehingute tegemisel esindada iga täisosanik."),
    "UÜ": ("TOSAN", "Usaldusühingut võib kõikide tehingute tegemisel esindada iga täisosanik."),
    "TÜH": (
        "JUHL",
        "Tulundusühistut võib kõikide tehingute tegemisel esindada iga juhatuse liige.",
    ),
}

# Annual reports: the size category by the Accounting Act's thresholds, smallest first:
# (category, total assets, revenue, employees); a company belongs to the first category whose
# limits it exceeds in at most one of the three.
REPORT_CATEGORIES = (
    ("Mikroettevõtja", 350_000.0, 700_000.0, 10.0),
    ("Väikeettevõtja", 6_000_000.0, 12_000_000.0, 50.0),
    ("Keskmise suurusega ettevõtja", 25_000_000.0, 50_000_000.0, 250.0),
    ("Suurettevõtja", float("inf"), float("inf"), float("inf")),
)
AUDIT_ENGAGEMENTS = ("Audit", "Ülevaatus", "vt PDF")
AUDIT_OPINIONS = ("Märkuseta", "Märkusega", "Vastupidine", "Arvamusest loobumine")
AUDIT_SEE_DOCUMENT = "Teostatud (kuid sisu töötlemata, vt dokument)"

"""Wider pools of made-up names per source country for the demo's true people.

``signals.NAMES`` holds each country's most common name parts (about twenty given and thirty
family names). Drawn alone, uniformly, they gave a large demo far more namesakes than a real
population: half of a country's people had one given name, so about 500 full names held
half of its 24,000 people in the million-signal demo, some twenty people per name. A
Romanian "Maria Popescu" is about one in 7,000 Romanians (Maria about 3 % of women, Popescu
about 1 %), so among 24,000 there are a few, not twenty. Here the common parts keep their
weight (they are still drawn most often, one by one) and a long tail is added: more given
names, and family names built from stems and endings the way each language builds them.
Any resemblance of a combination to a real person is chance.
"""

from __future__ import annotations

import random
from functools import cache

#: More given names per country, beside the common ones in ``signals.NAMES``.
MORE_GIVEN: dict[str, tuple[str, ...]] = {
    "RO": ("Ana", "Camelia", "Carmen", "Ciprian", "Claudiu", "Corina", "Dan", "Diana", "Dorin",
           "Emil", "Eugen", "Florentina", "George", "Horia", "Iulia", "Laura", "Liviu", "Lucian",
           "Mădălina", "Mirela", "Monica", "Nicolae", "Octavian", "Oana", "Ovidiu", "Paula",
           "Petru", "Roxana", "Sorin", "Teodor", "Valentin", "Viorica", "Cătălin", "Larisa",
           "Irina", "Sebastian", "Anca", "Radu", "Silviu", "Lavinia"),
    "BG": ("Aleksandar", "Anelia", "Angel", "Atanas", "Biserka", "Bozhidar", "Daniela",
           "Denitsa", "Dimo", "Emil", "Galina", "Genoveva", "Iliya", "Kalina", "Kiril", "Lyubomir",
           "Mariana", "Martin", "Mihail", "Nadezhda", "Nevena", "Ognyan", "Plamen", "Rumen",
           "Silviya", "Simeon", "Slavi", "Snezhana", "Stanimir", "Svetla", "Tsvetan", "Valentin",
           "Velislava", "Viktor", "Zdravko", "Zhivko", "Yana", "Radoslav", "Emiliya", "Bilyana"),
    "PL": ("Adam", "Aleksandra", "Beata", "Bartosz", "Dariusz", "Elżbieta", "Filip", "Halina",
           "Iwona", "Jacek", "Jan", "Janusz", "Justyna", "Kamil", "Karolina", "Krystyna",
           "Leszek", "Marek", "Mariusz", "Natalia", "Patrycja", "Przemysław", "Rafał",
           "Renata", "Robert", "Sebastian", "Sylwia", "Tadeusz", "Urszula", "Weronika",
           "Zbigniew", "Zofia", "Zuzanna", "Henryk", "Irena", "Mateusz", "Kinga", "Daria",
           "Artur", "Bożena"),
    "UA": ("Anastasiia", "Anton", "Artem", "Daryna", "Denys", "Halyna", "Hanna", "Ihor",
           "Inna", "Kostiantyn", "Larysa", "Liliia", "Maksym", "Mariia", "Marta", "Myroslava",
           "Nadiia", "Nazar", "Oleh", "Oleksii", "Pavlo", "Petro", "Roman", "Ruslan", "Sofiia",
           "Stepan", "Valentyna", "Viktoriia", "Vitalii", "Yaroslav", "Yevhen", "Zoriana",
           "Khrystyna", "Vadym", "Alla", "Lesia", "Hryhorii", "Uliana", "Borys", "Vira"),
    "NG": ("Abimbola", "Adaora", "Adebola", "Ayodele", "Bolaji", "Chidi", "Chioma", "Chukwudi",
           "Damilola", "Ebere", "Emmanuel", "Femi", "Folake", "Gbenga", "Ifeoma", "Ijeoma",
           "Kelechi", "Kemi", "Kunle", "Mercy", "Nkechi", "Nnamdi", "Obinna", "Olamide",
           "Olufemi", "Onyinye", "Peace", "Rotimi", "Sade", "Temitope", "Titilayo", "Tobi",
           "Uchechi", "Victor", "Wale", "Yetunde", "Zainab", "Godwin", "Comfort", "Babajide"),
    "NL": ("Anne", "Bas", "Bart", "Britt", "Dirk", "Elise", "Emma", "Floor", "Freek", "Hanneke",
           "Hugo", "Inge", "Jasper", "Joris", "Judith", "Karin", "Koen", "Laura", "Linda", "Luuk",
           "Marloes", "Maud", "Mirjam", "Pieter", "Renske", "Rick", "Roel", "Sophie", "Stijn",
           "Wendy", "Wim", "Yvonne", "Jelle", "Marieke", "Gerrit", "Ilse", "Kees", "Nienke",
           "Ralph", "Tamara"),
}  # fmt: skip

#: Vietnamese given names are one or two middle names and a given name; the family names stay
#: the few common ones of ``signals.NAMES`` (a handful of family names is what Vietnam has).
VN_MIDDLE = ("Thị", "Văn", "Đức", "Minh", "Quang", "Ngọc", "Hữu", "Thanh", "Xuân", "Hoài",
             "Kim", "Bảo", "Gia", "Tuấn", "Thu", "Hồng", "Công", "Anh")  # fmt: skip
VN_GIVEN = ("Lan", "Minh", "Hương", "Dũng", "Mai", "Hùng", "Hoa", "Nam", "Thu", "Tuấn", "Ngọc",
            "Anh", "Hằng", "Huy", "Linh", "Long", "Trang", "Đức", "Phương", "Sơn", "Bình",
            "Cường", "Dung", "Giang", "Hải", "Hạnh", "Hiếu", "Hòa", "Khánh", "Khoa", "Lâm",
            "Loan", "Lộc", "Nga", "Nhung", "Phúc", "Quân", "Quỳnh", "Tâm", "Thảo", "Thắng",
            "Thủy", "Tiến", "Trung", "Tú", "Vân", "Việt", "Vy", "Yến", "Đạt")  # fmt: skip

#: Stems, links and endings per country; a family name is a stem, a link (often none) and an
#: ending, so that each country has a thousand or more of them, as real countries have
#: tens of thousands.
FAMILY_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "RO": (("Pop", "Ion", "Dumitr", "Stan", "Vasil", "Georg", "Nicol", "Mar", "Tudor", "Cost",
            "Lup", "Manol", "Drag", "Petr", "Avram", "Sand", "Băl", "Com", "Dobr", "Mih",
            "Ghiț", "Bogd", "Vlăd", "Căpr", "Pădur", "Ungur", "Sârb", "Grig", "Tom", "Rad",
            "Mocan", "Buz", "Negr", "Alb", "Roșc", "Ciur"),
           ("", "ul", "an", "or", "ac"),
           ("escu", "eanu", "aru", "ache", "ică", "oiu", "ean", "uț", "iuc", "ilă")),
    "BG": (("Petr", "Ivan", "Georgi", "Dimitr", "Stoyan", "Todor", "Nikol", "Hrist", "Kol",
            "Angel", "Atanas", "Petk", "Ili", "Marin", "Yordan", "Pavl", "Mihayl", "Stef",
            "Vasil", "Pop", "Kost", "Dragan", "Tsvetk", "Zhelyazk", "Bozhin", "Rusin", "Gench",
            "Slavch", "Tonch", "Kanch", "Dench", "Minch", "Lazar", "Velik", "Bogdan", "Hadzhi"),
           ("", "in", "an", "ch", "ish"),
           ("ov", "ova", "ev", "eva", "ski", "ska")),
    "PL": (("Now", "Kowal", "Wiśniew", "Wójc", "Kamiń", "Lewandow", "Zieliń", "Szymań", "Woźni",
            "Dąbrow", "Kozłow", "Jankow", "Maz", "Kwiatkow", "Krawc", "Piotrow", "Grabow",
            "Pawłow", "Michal", "Wiecz", "Jabłoń", "Wrób", "Majew", "Olszew", "Malinow",
            "Jawor", "Adamcz", "Dudz", "Zaj", "Sobcz", "Czarn", "Sikor", "Bara", "Ostrow",
            "Tomaszew", "Pietrz"),
           ("", "ow", "an", "el", "ic"),
           ("ski", "ska", "cki", "cka", "ak", "ek", "yk", "ewicz", "ik")),
    "UA": (("Shevch", "Koval", "Bondar", "Tkach", "Melnych", "Boych", "Kravch", "Oliin",
            "Polishch", "Lys", "March", "Savch", "Rud", "Petr", "Klym", "Pavl", "Kuzm",
            "Ponomar", "Levch", "Vasyl", "Hryts", "Karp", "Sydor", "Yakov", "Roman", "Didych",
            "Hnat", "Tymosh", "Ostap", "Marty", "Fedor", "Savyts", "Kostyn", "Bilous", "Zhuk",
            "Moroz"),
           ("", "an", "ov", "ash", "ets"),
           ("enko", "uk", "chuk", "yk", "ych", "ovych", "ak", "iv")),
    "NG": (("Ade", "Olu", "Chi", "Nwa", "Oke", "Aki", "Ola", "Ogun", "Eze", "Obi", "Uche",
            "Ife", "Ayo", "Oye", "Ojo", "Ilo", "Ono", "Ibe", "Aja", "Odu", "Ekwe", "Ugo",
            "Oso", "Fola", "Babat", "Osa", "Ohi", "Ehi", "Iwu", "Ama"),
           ("", "ni", "la", "ri", "ko"),
           ("bayo", "kunle", "wale", "nna", "buike", "dipo", "tunde", "mide", "kanmi", "jiofor",
            "gwu", "chukwu", "lade", "sina")),
    "NL": (("", "van ", "de ", "van de ", "van der ", "van den ", "ter ", "ten "),
           ("Berg", "Bosch", "Veen", "Heuvel", "Brink", "Wal", "Hoek", "Broek", "Linden", "Beek",
            "Dam", "Kamp", "Laan", "Velde", "Hoven", "Post", "Kuip", "Schout", "Bos", "Timmer",
            "Hof", "Huis", "Groen", "Kraam", "Vliet", "Wijn", "Blom", "Sluit", "Herm", "Claas",
            "Veld", "Horst", "Molen", "Kerk", "Weide", "Haar", "Ridder", "Smed", "Wever",
            "Vis"),
           ("", "s", "ink", "man", "hof", "ing", "er")),
}  # fmt: skip

#: How often a name part is one of the common ones of ``signals.NAMES`` rather than the tail.
COMMON_SHARE = 0.15


@cache
def more_given(country: str) -> tuple[str, ...]:
    if country == "VN":
        return tuple(f"{middle} {given}" for middle in _vn_middles() for given in VN_GIVEN)
    return MORE_GIVEN.get(country, ())


@cache
def more_family(country: str) -> tuple[str, ...]:
    heads, links, endings = FAMILY_PARTS.get(country, ((), (), ()))
    return tuple(
        dict.fromkeys(
            f"{head}{link}{ending}" for head in heads for link in links for ending in endings
        )
    )


def _vn_middles() -> tuple[str, ...]:
    return (*VN_MIDDLE, *(f"{a} {b}" for a in VN_MIDDLE[:4] for b in VN_MIDDLE[4:]))


def widen(rng: random.Random, common: str, tail: tuple[str, ...]) -> str:
    """``common`` (already drawn from the common names) or, most of the time, one of
    ``tail``: the draw uses its own random stream, so that the rest of the demo is the same
    whatever the names."""
    if not tail or rng.random() < COMMON_SHARE:
        return common
    return rng.choice(tail)

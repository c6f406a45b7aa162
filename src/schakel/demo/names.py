"""Made-up name parts for synthetic users and contacts. Combinations are random; any
resemblance to a real person is chance."""

from __future__ import annotations

FIRST_NAMES = (
    "Anouk", "Bram", "Daan", "Eva", "Femke", "Gijs", "Hanna", "Ilse", "Jesse", "Kim", "Lotte",
    "Maarten", "Nina", "Olaf", "Pien", "Quinten", "Roos", "Sven", "Tess", "Umar", "Vera",
    "Wouter", "Yara", "Zeynep", "Ahmed", "Bilal", "Chantal", "Dewi", "Elif", "Farid", "Ioana",
    "Kasia", "Lina", "Mihai", "Priya", "Rafael", "Sanne", "Thijs", "Xander", "Youssef",
)
LAST_NAMES = (
    "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
    "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
    "de Graaf", "van der Meer", "Kok", "Jacobs", "Vermeulen", "van den Berg", "Schouten",
    "Willems", "Hoekstra", "Koster", "Prins", "Postma", "Kuipers", "Yilmaz", "Kaya", "El Amrani",
    "Popescu", "Nowak", "Nguyen", "Santos", "Haddou", "Wiśniewska", "Ionescu",
)

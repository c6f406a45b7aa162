"""The synthetic demo-data generator (``schakel demo``). Never real people: every person is
made up from the name lists here; places are public facts (Dutch police regions and
municipalities with their CBS codes). Later contexts add steps (signals, entities, cases).
"""

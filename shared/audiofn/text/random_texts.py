"""Texts for `GET /script/random`: the nine categories of the api.audio protocol.

Written for this project, except the Bible verses, which are from the public-domain King
James Version.
"""

from __future__ import annotations

DEFAULT_CATEGORY = "FunFact"

CATEGORIES: dict[str, tuple[str, ...]] = {
    "BibleVerse": (
        "In the beginning God created the heaven and the earth.",
        "The Lord is my shepherd; I shall not want.",
        "Let all your things be done with charity.",
        "A soft answer turneth away wrath: but grievous words stir up anger.",
    ),
    "FunFact": (
        "Octopuses have three hearts, and two of them stop beating when they swim.",
        "Honey found in ancient tombs can still be eaten after thousands of years.",
        "A day on Venus is longer than a year on Venus.",
        "Bananas are berries, but strawberries are not.",
    ),
    "InspirationalQuote": (
        "Small steps taken every day will carry you further than one giant leap you never take.",
        "The best time to start was yesterday. The next best time is right now.",
        "You do not have to see the whole staircase to climb the first step.",
    ),
    "Joke": (
        "I told my computer I needed a break, and it sent me a picture of a chocolate bar.",
        "Why did the scarecrow win an award? Because he was outstanding in his field.",
        "I would tell you a joke about an elevator, but it works on so many levels.",
    ),
    "MovieSynopsis": (
        "A retired lighthouse keeper discovers that the fog rolling in every night carries "
        "voices from a ship that sank fifty years ago.",
        "Two rival bakers are forced to share a tiny kitchen during the busiest week of the "
        "year, and only one recipe can win the town fair.",
        "When the last radio station on a remote island goes silent, a teenager builds a "
        "transmitter to find out who is still listening.",
    ),
    "Poem": (
        "The kettle sings, the morning wakes, the window fills with light; the day is small "
        "and kind and new, and everything is right.",
        "Across the hill the shadows run, they race the clouds and chase the sun, and when "
        "the evening calls them home, they settle softly, one by one.",
    ),
    "PhilosophicalQuestion": (
        "If you replace every plank of a ship one by one, is it still the same ship?",
        "Can you ever step into the same river twice?",
        "Is a promise still binding if everyone who heard it has forgotten it?",
    ),
    "Recipe": (
        "Whisk two eggs with a pinch of salt, pour them into a warm buttered pan, stir gently "
        "until just set, and serve on toast.",
        "Simmer one cup of red lentils with a chopped onion, a spoon of curry powder and three "
        "cups of stock for twenty minutes, then blend until smooth.",
    ),
    "TriviaQuestion": (
        "Which planet in our solar system has the most moons?",
        "What is the only letter that does not appear in the name of any US state?",
        "How many bones are there in the adult human body?",
    ),
}

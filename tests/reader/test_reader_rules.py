"""The rules on the shipped corpus (computed floors) and on single statements."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from memos.reader.evaluate import evaluate_reader, load_corpus
from memos.reader.rules import extract, stated_name

AT = datetime(2026, 11, 30, 10, 0)


def facts(text: str) -> set[tuple[str, str, str, bool]]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", AT)}


def test_corpus_is_large_and_varied() -> None:
    convs = load_corpus()
    assert len(convs) >= 40
    assert sum(len(c.messages) for c in convs) >= 300
    user_turns = [(c, i) for c in convs for i, m in enumerate(c.messages) if m["role"] == "user"]
    with_facts = {(c.id, e["turn"]) for c in convs for e in c.expected}
    # Negative turns: user turns that must yield nothing are a large part of the corpus.
    assert sum((c.id, i) not in with_facts for c, i in user_turns) >= 90


def test_heldout_corpus_floor() -> None:
    """The held-out set (written after the rules): a lower floor, still computed."""
    report = evaluate_reader("heldout", repeat=1)
    assert report.conversations >= 12 and report.expected >= 30
    assert report.precision >= 0.8 and report.recall >= 0.65


@pytest.mark.parametrize("corpus", ["blind-a", "blind-b", "blind-c", "blind-d", "blind-e"])
def test_the_corpora_written_blind_floor(corpus: str) -> None:
    """Written from the docs alone by another author (first, blind scores P 0.935 / R 0.563,
    P 0.974 / R 0.789, P 0.990 / R 0.886, P 0.991 / R 0.982 and P 0.973 / R 0.891,
    docs/RESULTS.md); floors below today's scores."""
    report = evaluate_reader(corpus, repeat=1)
    assert report.expected >= 90
    assert report.precision >= 0.95, report.wrong
    assert report.recall >= 0.9, report.misses


def test_precision_and_recall_floor_on_the_corpus() -> None:
    report = evaluate_reader(repeat=1)
    # Floors below the measured values (docs/RESULTS.md), so a regression fails here.
    assert report.precision >= 0.95, report.wrong
    assert report.recall >= 0.9, report.misses
    for family, row in report.by_family.items():
        assert row["recall"] >= 0.6, (family, row)
    assert report.correct == report.expected - len(report.misses)
    assert report.extracted == report.correct + len(report.wrong)
    assert report.extract_turns_per_s > 1000


@pytest.mark.parametrize("text", [
    "Do you live in Paris?",
    "I want to move to Berlin.",
    "If I lived in Rome I would be happy.",
    "I might work at Google one day.",
    "I'm thinking about moving to York.",
    "My point is that it's late.",
    "My phone is dead.",
    "I'd like a coffee.",
    "I'm tired.",
    "She lives in Lisbon.",
    "Thanks, that's all.",
    "I'm moving to Seoul next month.",
    # The question is the whole sentence when it opens with it.
    "Do you think I live in the right city, or should I move?",
    # A number that is not an age, a place that is not a job's.
    "I'm 5 minutes away.",
    "I'm at Starbucks now.",
    "Coffee is a lifesaver.",
    "I love that idea, thanks!",
    "My team is in Singapore.",
])
def test_turns_that_state_no_fact(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("I live in Lisbon.", {("Alice", "city", "Lisbon", False)}),
    ("I moved to 9 Harbour Road.", {("Alice", "address", "9 Harbour Road", False)}),
    ("I work at Feedzai and I'm allergic to peanuts.",
     {("Alice", "employer", "Feedzai", False), ("Alice", "allergy", "peanuts", False)}),
    ("I'm allergic to gluten, dairy and eggs.",
     {("Alice", "allergy", v, False) for v in ("gluten", "dairy", "eggs")}),
    ("I'm not allergic to peanuts any more.", {("Alice", "allergy", "peanuts", True)}),
    ("I no longer live in Cairo, I moved to Dubai.",
     {("Alice", "city", "Cairo", True), ("Alice", "city", "Dubai", False)}),
    ("I don't like jazz anymore.", {("Alice", "likes", "jazz", True)}),
    ("I don't like cilantro.", {("Alice", "dislikes", "cilantro", False)}),
    ("I prefer tea over coffee.", {("Alice", "preference", "tea", False)}),
    ("My sister Ana lives in Porto.",
     {("Alice", "sister's name", "Ana", False), ("Ana", "city", "Porto", False)}),
    ("My sister lives in Porto.", {("Alice", "sister's city", "Porto", False)}),
    ("My doctor is Dr. Okonkwo.", {("Alice", "doctor's name", "Dr. Okonkwo", False)}),
    ("My favourite colour is dark green.", {("Alice", "favorite color", "dark green", False)}),
    ("My phone number is 0151 2345 678.", {("Alice", "phone number", "0151 2345 678", False)}),
    ("I'm a software engineer at Infosys.",
     {("Alice", "job", "software engineer", False), ("Alice", "employer", "Infosys", False)}),
    ("I'm 34 years old.", {("Alice", "age", "34", False)}),
    ("I've just relocated to Copenhagen for work.", {("Alice", "city", "Copenhagen", False)}),
    ("I'm employed by Novo Nordisk in Bagsværd.",
     {("Alice", "employer", "Novo Nordisk", False)}),
    ("I work at a café in Melbourne.", {("Alice", "employer", "a café in Melbourne", False)}),
    ("My e-mail is a.b@example.org for the newsletter.",
     {("Alice", "email", "a.b@example.org", False)}),
    ("My new address is 40 Canal Street.", {("Alice", "address", "40 Canal Street", False)}),
    ("I'm allergic to horses and it's on a ranch.", {("Alice", "allergy", "horses", False)}),
    ("Our son is called Mateo.", {("Alice", "son's name", "Mateo", False)}),
    # A statement before the question or the hedge of the same sentence still counts.
    ("My email is jan.k@gmail.com, is it ok to use it for a formal letter?",
     {("Alice", "email", "jan.k@gmail.com", False)}),
    ("My daughter Susan lives in Toronto, so I'd like something to keep me busy.",
     {("Alice", "daughter's name", "Susan", False), ("Susan", "city", "Toronto", False)}),
    ("I'm a big fan of trad music, any sessions you'd recommend?",
     {("Alice", "likes", "trad music", False)}),
    ("I used to hate fish but now I like mackerel.", {("Alice", "likes", "mackerel", False)}),
    # Ages without "years old".
    ("My name is Margaret Ellis and I'm 71.",
     {("Margaret Ellis", "name", "Margaret Ellis", False), ("Alice", "age", "71", False)}),
    ("I just turned 68.", {("Alice", "age", "68", False)}),
    # Chat in lower case, and clauses that leave the subject out.
    ("im a data analyst at Ocado rn",
     {("Alice", "job", "data analyst", False), ("Alice", "employer", "Ocado", False)}),
    ("no. live in leeds atm, its an hour on the train", {("Alice", "city", "Leeds", False)}),
    ("Context: based in Berlin. Grew up in Leeds.",
     {("Alice", "city", "Berlin", False), ("Alice", "home town", "Leeds", False)}),
    ("I'm Liam, born and raised in Cork.",
     {("Liam", "name", "Liam", False), ("Alice", "home town", "Cork", False)}),
    # "We live in" includes the speaker; "Mum" is the speaker's mother.
    ("We moved to Columbus last year.", {("Alice", "city", "Columbus", False)}),
    ("Mum lives in Brighton.", {("Alice", "mother's city", "Brighton", False)}),
    # Two predicates of one subject; an address with its town.
    ("My sister Ana lives in Madrid and works at Santander.",
     {("Alice", "sister's name", "Ana", False), ("Ana", "city", "Madrid", False),
      ("Ana", "employer", "Santander", False)}),
    ("I live at 14 Rosemary Lane, Harrogate, with two cats.",
     {("Alice", "address", "14 Rosemary Lane, Harrogate", False)}),
    # Jobs: another person's, after a name, "the", and "I'm at X" when the turn is about work.
    ("Sam's a chef so I'm not allowed near the kitchen.", {("Sam", "job", "chef", False)}),
    ("I'm Ben, product designer at Figma.",
     {("Ben", "name", "Ben", False), ("Alice", "job", "product designer", False),
      ("Alice", "employer", "Figma", False)}),
    ("I'm the head chef at Brasa.",
     {("Alice", "job", "head chef", False), ("Alice", "employer", "Brasa", False)}),
    ("Actually I changed jobs, I'm at Farfetch now.", {("Alice", "employer", "Farfetch", False)}),
    ("I just started at KPMG.", {("Alice", "employer", "KPMG", False)}),
    # Relatives: "'s called", a new one.
    ("My husband's called Rob.", {("Alice", "husband's name", "Rob", False)}),
    ("I switched dentists, my new dentist is Dr. Fischer.",
     {("Alice", "dentist's name", "Dr. Fischer", False)}),
    # A value replaced in one breath; an employer left.
    ("My email is no longer sofia.r@outlook.com, it's sofia@proton.me now.",
     {("Alice", "email", "sofia.r@outlook.com", True), ("Alice", "email", "sofia@proton.me", False)}),
    ("I'm not with Oslo Sports Clinic any more.",
     {("Alice", "employer", "Oslo Sports Clinic", True)}),
    ("Home is Boston these days.", {("Alice", "city", "Boston", False)}),
    # From the blind-d corpus: a date phrase is not part of the value; "home is" after "but".
    ("I joined Wise this week, pretty nervous tbh.", {("Alice", "employer", "Wise", False)}),
    ("I'm from Graz, but home is Vienna.",
     {("Alice", "home town", "Graz", False), ("Alice", "city", "Vienna", False)}),
    ("My parents retired to Spain, so home is Madrid for them now.", set()),
    ("I love the podcast Not This Year.", {("Alice", "likes", "the podcast Not This Year", False)}),
    ("Hi, Aisha here.", {("Aisha", "name", "Aisha", False)}),
    # From a second blind corpus: facts said in passing inside a request.
    ("My vet is Dr. Mensah and her number is 0161 496 0192. Should I call her?",
     {("Alice", "vet's name", "Dr. Mensah", False),
      ("Dr. Mensah", "phone number", "0161 496 0192", False)}),
    ("We also adopted a cat called Pickle last weekend! What food is best?",
     {("Alice", "cat's name", "Pickle", False)}),
    ("My brother Dev is allergic to sesame and my mum is allergic to penicillin.",
     {("Alice", "brother's name", "Dev", False), ("Dev", "allergy", "sesame", False),
      ("Alice", "mother's allergy", "penicillin", False)}),
    ("My son Leo is 11 and my daughter Ava is 8. Any board games?",
     {("Alice", "son's name", "Leo", False), ("Alice", "daughter's name", "Ava", False),
      ("Leo", "age", "11", False), ("Ava", "age", "8", False)}),
    ("I work nights as an ICU nurse at St Mary's.",
     {("Alice", "job", "ICU nurse", False), ("Alice", "employer", "St Mary's", False)}),
    ("I've lived in Utrecht my whole life, but my company is relocating me.",
     {("Alice", "city", "Utrecht", False)}),
    ("My wife Janet is a physiotherapist and she says I should rest.",
     {("Alice", "wife's name", "Janet", False), ("Janet", "job", "physiotherapist", False)}),
    ("I want to bake a cake for the birthday of my grandson Jonas.",
     {("Alice", "grandson's name", "Jonas", False)}),
    ("i really dont like chemistry tbh, i prefer physics way more",
     {("Alice", "dislikes", "chemistry", False), ("Alice", "preference", "physics", False)}),
    ("I'm in Bologna.", {("Alice", "city", "Bologna", False)}),
    ("I'm in Paris for the weekend.", set()),
    ("Correction: Leo's birthday is actually 15 May, not the 14th.",
     {("Leo", "birthday", "15 May", False)}),
    ("I really enjoy reading papers on ranking.",
     {("Alice", "likes", "reading papers on ranking", False)}),
    ("I love reading your messages.", set()),
    # A like that points back into the conversation or at the speaker does not stand alone;
    # a reflexive belongs to the last item of a listing; "that" after a noun starts a clause.
    ("I also like holding them.", set()),
    ("I love hiking with my dog.", {("Alice", "likes", "hiking", False)}),
    ("I love the band Them.", {("Alice", "likes", "the band Them", False)}),
    ("I like Python, C and R.", {("Alice", "likes", v, False) for v in ("Python", "C", "R")}),
    ("I love the freedom and connection it brings.", {("Alice", "likes", "the freedom", False)}),
    ("I love running my own studio.", set()),
    ("It's why I enjoy playing and pushing myself.", {("Alice", "likes", "playing", False)}),
    ("I'm allergic to shellfish myself.", {("Alice", "allergy", "shellfish", False)}),
    # A change said as a change, its value in the same clause or the next.
    ("Helen changed her email, it's now helen@vargaco.uk, please use that.",
     {("Helen", "email", "helen@vargaco.uk", False)}),
    ("I got a new phone number, it's 07700 900123.",
     {("Alice", "phone number", "07700 900123", False)}),
    ("I have a new number: 07700 900123.", {("Alice", "phone number", "07700 900123", False)}),
    ("Sam changed his number to 07700 900123.", {("Sam", "phone number", "07700 900123", False)}),
    ("My email changed to a@b.com.", {("Alice", "email", "a@b.com", False)}),
    ("I changed my number. The new one is 0777 000 111.",
     {("Alice", "phone number", "0777 000 111", False)}),
    ("Mum changed her number to 0161 496 0000.",
     {("Alice", "mother's phone number", "0161 496 0000", False)}),
    ("I changed my mind.", set()),
    ("I've got a new number: 07700 900999.", {("Alice", "phone number", "07700 900999", False)}),
    ("Then Helen changed her email to h@x.org.", {("Helen", "email", "h@x.org", False)}),
    # A value must look like one when the clause alone does not say it is one.
    ("I changed my email. It's a long story.", set()),
    ("I got a new phone, it's an iPhone 15.", set()),
    ("I changed my number to a new one.", set()),
    # Chat starts a sentence in lower case after a full stop; a condition is its own clause.
    ("I live at 9 Clifton Vale, Bristol. is there a decent gym nearby?",
     {("Alice", "address", "9 Clifton Vale, Bristol", False)}),
    ("I moved to York last month! can you suggest a bakery?",
     {("Alice", "city", "York", False)}),
    ("I like fruit, e.g. apples.", {("Alice", "likes", "fruit", False)}),
    ("My phone number is +34 612 345 678 if the hotel needs it.",
     {("Alice", "phone number", "+34 612 345 678", False)}),
    ("I'd move to Berlin if I could.", set()),
    ("I live in Leeds even if I hate it.", {("Alice", "city", "Leeds", False)}),
    # Lower-case chat: "X here", "btw", subject-less "joined" / "work in ... at",
    # "don't really like ... either", two predicates joined by a comma.
    ("hey mum here! can u help", set()),
    ("im Tomasz btw.", {("Tomasz", "name", "Tomasz", False)}),
    ("joined Boots in september and its been hectic", {("Alice", "employer", "Boots", False)}),
    ("dont really like coriander either", {("Alice", "dislikes", "coriander", False)}),
    ("I live in Leeds, work in research at Cardle Labs.",
     {("Alice", "city", "Leeds", False), ("Alice", "employer", "Cardle Labs", False)}),
    ("Helen changed my email to x@y.com.", set()),
    ("I love escaping to that world.", {("Alice", "likes", "escaping", False)}),
    ("I love stories that tackle big issues.",
     {("Alice", "likes", "stories that tackle big issues", False)}),
    ("I love living in the US.", {("Alice", "likes", "living in the US", False)}),
    # From a review: a kin's name is not the speaker's; "her" is someone of the same clause.
    ("My name is Alice Moreau. Mum's name is Sue.",
     {("Alice Moreau", "name", "Alice Moreau", False), ("Alice", "mother's name", "Sue", False)}),
    ("My vet is Dr. Mensah. My daughter turns 5 soon and her birthday is 3 May.",
     {("Alice", "vet's name", "Dr. Mensah", False)}),
    ("My doctor's name is Dr.", set()),
    ("I work as a nurse at the Royal Infirmary.",
     {("Alice", "job", "nurse", False), ("Alice", "employer", "Royal Infirmary", False)}),
])
def test_statements(text: str, expected: set[tuple[str, str, str, bool]]) -> None:
    assert facts(text) == expected


# A job taken up, left or ended, said as a change: each of these was read as nothing (or as a
# value that is no value: "I quit my job" ended an employer called "my job").
@pytest.mark.parametrize(("text", "expected"), [
    ("I'm now a teacher.", {("Alice", "job", "teacher", False)}),
    ("I am now a teacher.", {("Alice", "job", "teacher", False)}),
    ("I'm officially a nurse!", {("Alice", "job", "nurse", False)}),
    ("I'm now a senior engineer at Google.",
     {("Alice", "job", "senior engineer", False), ("Alice", "employer", "Google", False)}),
    ("Sam is now a chef.", {("Sam", "job", "chef", False)}),
    ("I became a teacher.", {("Alice", "job", "teacher", False)}),
    ("I became a teacher two years ago.", {("Alice", "job", "teacher", False)}),
    ("I've become a nurse at St Mary's.",
     {("Alice", "job", "nurse", False), ("Alice", "employer", "St Mary's", False)}),
    ("I got a job as a teacher.", {("Alice", "job", "teacher", False)}),
    ("I got a new job as a waitress.", {("Alice", "job", "waitress", False)}),
    ("I started working as a teacher.", {("Alice", "job", "teacher", False)}),
    ("I've been hired as a data analyst at Ocado.",
     {("Alice", "job", "data analyst", False), ("Alice", "employer", "Ocado", False)}),
    ("I've been promoted to senior engineer.", {("Alice", "job", "senior engineer", False)}),
    ("I got promoted to team lead.", {("Alice", "job", "team lead", False)}),
    ("I was promoted to Head of Sales.", {("Alice", "job", "Head of Sales", False)}),
    ("im now a teacher", {("Alice", "job", "teacher", False)}),
    # A job that ended: the job (and an employer it names) negated.
    ("I'm no longer a nurse.", {("Alice", "job", "nurse", True)}),
    ("I'm not a nurse anymore.", {("Alice", "job", "nurse", True)}),
    ("I'm no longer the head chef at Brasa.",
     {("Alice", "job", "head chef", True), ("Alice", "employer", "Brasa", True)}),
    ("I stopped working as a nurse.", {("Alice", "job", "nurse", True)}),
    ("I don't work as a nurse any more.", {("Alice", "job", "nurse", True)}),
    ("I'm not working as a nurse anymore.", {("Alice", "job", "nurse", True)}),
    ("I quit being a teacher.", {("Alice", "job", "teacher", True)}),
    ("I'm no longer working at Acme.", {("Alice", "employer", "Acme", True)}),
    ("I stopped working for Acme.", {("Alice", "employer", "Acme", True)}),
    ("I'm not a student anymore, I'm a nurse now.",
     {("Alice", "job", "student", True), ("Alice", "job", "nurse", False)}),
    # A job left without naming the employer: the current employer ends, whatever it is
    # (value "": Extraction.ends_current), and so does the job title ("what's my job?" is
    # no longer "nurse").
    ("I quit my job.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I left my job.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I left my teaching job.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I quit my job last week to travel.",
     {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I lost my job.", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("i quit my job lol", {("Alice", "employer", "", True), ("Alice", "job", "", True)}),
    ("I quit my job as a nurse.",
     {("Alice", "job", "nurse", True), ("Alice", "employer", "", True)}),
    ("I lost my job at Door Dash.",
     {("Alice", "employer", "Door Dash", True), ("Alice", "job", "", True)}),
    ("My sister quit her job.",
     {("Alice", "sister's employer", "", True), ("Alice", "sister's job", "", True)}),
    # A role left is not the job: "I quit my role as treasurer" ends that role only.
    ("I quit my role as treasurer.", {("Alice", "job", "treasurer", True)}),
    # A new job or employer told in the same turn: the title may go on.
    ("I quit my job and started at Globex.",
     {("Alice", "employer", "", True), ("Alice", "employer", "Globex", False)}),
    # A taste said with "fan", "into": a like, started or ended, never a job.
    ("I became a big fan of jazz.", {("Alice", "likes", "jazz", False)}),
    ("I'm a fan of soccer.", {("Alice", "likes", "soccer", False)}),
    ("I'm no longer a fan of jazz.", {("Alice", "likes", "jazz", True)}),
    ("I'm not into running anymore.", {("Alice", "likes", "running", True)}),
])
def test_a_job_taken_up_or_left(text: str, expected: set[tuple[str, str, str, bool]]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    "I'm now a bit tired.",
    "I'm now a little worried.",
    "I'm now a lot better.",
    "I became aware of it.",
    "I became a homeowner.",
    "I've become a grandfather.",
    "I got a job offer.",
    "I got a job as a result of networking.",
    "I started working out.",
    "I got promoted!",
    "I got promoted to the next level.",
    "I'm not a morning person anymore.",
    "I'm not a teenager any more.",
    "I'm not a nurse.",  # a denial: it ends nothing
    "I'm a heavy sleeper.",
    "I quit smoking.",
    "I quit.",
    "I left my keys at home.",
    "I left my job title blank.",
    "I lost my role model.",
    "I quit her job.",
    "If I quit my job I'd travel.",
    "Maybe I quit my job, who knows.",
    "If I left Acme I'd be poor.",
    "I want to get a job as a teacher.",
    "I hope to be promoted to manager.",
    "my wife and I just left for our European vacation!",
])
def test_job_changes_that_are_none(text: str) -> None:
    assert facts(text) == set()


def test_a_job_left_ends_the_current_employer_whatever_it_is() -> None:
    ended, title = extract("I quit my job.", "Alice", "user:alice", AT)
    assert ended.ends_current and ended.negated and ended.value == ""
    assert ended.text == "Alice's employer has ended."
    assert title.ends_current and title.attribute == "job" and title.value == ""
    named, _ = extract("I quit my job at Zara!", "Alice", "user:alice", AT)
    assert not named.ends_current and named.value == "Zara"


def test_runs_of_blanks_are_read_as_one() -> None:
    # The clause patterns scan a squeezed text: a message of 50,000 spaces is one clause.
    from memos.reader.rules import clauses

    assert clauses("I live in Lisbon." + " " * 50_000 + "Ok.") == ["I live in Lisbon.", "Ok."]
    assert clauses("a" + " " * 50_000 + "b") == ["a b"]
    assert facts("I live in" + " " * 20_000 + "Lisbon.") == {("Alice", "city", "Lisbon", False)}


def test_a_dated_statement_gives_the_fact_its_date() -> None:
    [fact] = extract("I moved to Berlin last March.", "Alice", "user:alice", AT)
    assert (fact.value, fact.when) == ("Berlin", date(2026, 3, 1))
    [fact] = extract("My birthday is on 3 May.", "Alice", "user:alice", AT)
    assert (fact.value, fact.when) == ("3 May", None)  # the value is the date


def test_canonical_text() -> None:
    [fact] = extract("I live in Lisbon.", "Alice", "user:alice", AT)
    assert fact.text == "Alice's city is Lisbon."


@pytest.mark.parametrize(("text", "name"), [
    ("My name is Alice Moreau.", "Alice Moreau"),
    ("Hi, I'm Alice!", "Alice"),
    ("my name's Joanna but call me Jo", "Jo"),
    ("I'm tired.", None),
    ("I'm Italian.", None),
    ("Is my name Alice?", None),
    # a bidirectional override (or a control character) in a stated name, refused as the
    # name= argument refuses it: it would lead every fact the user states afterwards
    ("My name is \u202eecilA.", None),
    ("My name is \u202eecilA. I live in Cairo.", None),
    ("My name is Ali\u0007ce.", None),
])
def test_stated_name(text: str, name: str | None) -> None:
    assert stated_name(text) == name

"""The words facts are written with: attribute names, relatives, and how a value ends.

`rules` (statements -> facts) and `questions` (questions -> the canonical question) both use
these tables, so a fact is always asked for with the attribute it was written with.
"""

from __future__ import annotations

import re

# Spoken attribute -> the attribute a fact is stored under ("my e-mail" -> "email").
ATTRIBUTE_ALIASES: dict[str, str] = {
    "favourite": "favorite",
    "home town": "home town", "hometown": "home town",
    "phone": "phone number", "phone number": "phone number", "number": "phone number",
    "cell": "phone number", "cell number": "phone number", "mobile": "phone number",
    "mobile number": "phone number", "telephone number": "phone number",
    "e-mail": "email", "email": "email", "email address": "email", "e-mail address": "email",
    "date of birth": "birthday", "birth date": "birthday", "birthday": "birthday",
    "bday": "birthday", "b-day": "birthday", "birth day": "birthday",
    "wedding anniversary": "anniversary",
    "occupation": "job", "profession": "job", "job": "job", "line of work": "job",
    "job title": "job", "role": "job", "position": "job",
    "company": "employer", "employer": "employer", "workplace": "employer",
    "home address": "address", "address": "address", "street address": "address",
    "city": "city", "town": "city",
    "surname": "last name", "last name": "last name", "family name": "last name",
    "first name": "name", "name": "name", "full name": "name",
}

# Relatives and companions a statement can be about ("my sister Ana ...").
RELATIONS = (
    "sister", "brother", "mother", "mom", "mum", "father", "dad", "wife", "husband",
    "partner", "boyfriend", "girlfriend", "son", "daughter", "friend", "best friend", "boss",
    "manager", "colleague", "roommate", "neighbour", "neighbor", "cousin", "aunt", "uncle",
    "grandmother", "grandma", "grandfather", "grandpa", "fiancé", "fiancee", "fiance",
    "niece", "nephew", "doctor", "dentist", "therapist", "cat", "dog", "puppy", "kitten",
    "flatmate", "housemate", "coworker", "co-worker", "teammate", "classmate", "landlord",
    "landlady", "stepmother", "stepfather", "stepson", "stepdaughter", "twin", "godmother",
    "godfather", "mentor", "trainer", "coach", "baby", "kid", "parrot", "rabbit", "horse",
    "assistant", "secretary", "nanny", "babysitter", "tutor", "lawyer", "solicitor",
    "accountant", "vet", "physio", "physiotherapist", "carer", "stepsister", "stepbrother",
    "grandson", "granddaughter", "fiancée", "supervisor", "hairdresser", "barber", "mechanic",
    "pharmacist", "gp", "optician", "midwife", "sous chef", "teacher", "personal trainer",
    "mother-in-law", "father-in-law", "sister-in-law", "brother-in-law", "son-in-law",
    "daughter-in-law", "hamster", "tortoise", "guinea pig", "pup", "doggo", "kitty",
)
# The relations (as relation_name gives them) whose job is their own news to the speaker: a
# dismissal of one ends their employer ("my dad got laid off"); a colleague's, a boss's, a
# doctor's or a pet's is no fact of the speaker's ("my coworker got fired").
PERSONAL_RELATIONS = frozenset({
    "sister", "brother", "mother", "father", "wife", "husband", "partner", "boyfriend",
    "girlfriend", "son", "daughter", "friend", "best friend", "roommate", "neighbour", "cousin",
    "aunt", "uncle", "grandmother", "grandfather", "fiancé", "niece", "nephew", "flatmate",
    "housemate", "classmate", "stepmother", "stepfather", "stepson", "stepdaughter", "twin",
    "godmother", "godfather", "stepsister", "stepbrother", "grandson", "granddaughter",
    "mother-in-law", "father-in-law", "sister-in-law", "brother-in-law", "son-in-law",
    "daughter-in-law"})
RELATION_ALIASES = {"mum": "mother", "mom": "mother", "dad": "father", "grandma": "grandmother",
                    "grandpa": "grandfather", "neighbor": "neighbour", "fiancee": "fiancé",
                    "fiance": "fiancé", "puppy": "dog", "kitten": "cat", "fiancée": "fiancé",
                    "pup": "dog", "doggo": "dog", "kitty": "cat",
                    "physiotherapist": "physio", "gp": "doctor"}
# Relatives people call by the relation itself, capitalised like a name ("Mum lives in
# Brighton"): the speaker's relative, not a person named "Mum".
KIN_NAMES = {"mum": "mother", "mom": "mother", "mummy": "mother", "mommy": "mother",
             "mother": "mother", "ma": "mother", "dad": "father", "daddy": "father",
             "father": "father", "pa": "father", "grandma": "grandmother", "granny": "grandmother",
             "nan": "grandmother", "nana": "grandmother", "nanna": "grandmother",
             "grandpa": "grandfather", "grandad": "grandfather", "granddad": "grandfather"}
RELATION_RE = "|".join(sorted((re.escape(r) for r in RELATIONS), key=len, reverse=True))

# Multi-valued attributes: a second value adds a fact instead of replacing the first.
MULTI_VALUED = frozenset({"allergy", "preference", "likes", "dislikes"})
# Pets, as relation_name gives them, the commonest first (a question about "my pet" is
# asked of each in this order).
PETS = ("dog", "cat", "puppy", "kitten", "parrot", "rabbit", "horse", "hamster", "tortoise",
        "guinea pig", "pup", "doggo", "kitty")
# Relations (as relation_name gives them) one may have several of: a second name is another
# friend, sister or dog, not the first one renamed ("My friend Bob ..." then "My friend
# Carla ..."). Their other attributes stay single-valued: "my sister lives in Porto" names
# no sister, so a later "my sister lives in Lisbon" is read as the same one moving.
MANY_OF = frozenset({
    "sister", "brother", "son", "daughter", "friend", "colleague", "coworker", "co-worker",
    "roommate", "neighbour", "cousin", "aunt", "uncle", "grandmother", "grandfather", "niece",
    "nephew", "flatmate", "housemate", "teammate", "classmate", "stepson",
    "stepdaughter", "twin", "stepsister", "stepbrother", "grandson", "granddaughter", "kid",
    "baby", "sister-in-law", "brother-in-law", "son-in-law", "daughter-in-law", *PETS})

# Titles whose period does not end a value ("Dr. Okonkwo").
TITLES = ("dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "mt", "ave", "rd", "no", "apt")


def attribute_name(spoken: str) -> str:
    """The stored attribute for a spoken one: lowercased, aliases applied, "favourite"
    spelt "favorite", whitespace collapsed."""
    words = " ".join(spoken.lower().replace("’", "'").split())
    words = words.replace("favourite", "favorite").replace("colour", "color")
    words = re.sub(r"^(?:fave|fav)\b", "favorite", words)  # "my fave food"
    words = re.sub(r"^(?:new|current|present|actual|real|main|usual)\s+", "", words)
    return ATTRIBUTE_ALIASES.get(words, words)


def relation_name(spoken: str) -> str:
    word = " ".join(spoken.lower().split())
    return RELATION_ALIASES.get(word, word)


# Chat fillers that end a value and are never part of one ("leeds atm", "okra tbh").
FILLERS = ("lol|haha|btw|by the way|atm|rn|tbh|tho|ngl|fyi|for what it's worth|thank god|"
           "thankfully")
# Words that start another clause after a value, whatever the value.
_CLAUSE_WORDS = (r"and|but|because|since|so|though|although|while|which|who|where|when|after|"
                 r"before|until|unless|if|these days|nowadays|right now|for now|now|too|"
                 r"mostly|usually|mainly|sometimes|occasionally|"
                 + FILLERS)
_CLAUSE_END = re.compile(
    rf"\s+(?-i:not\s+(?=\w))|"
    rf"\s+(?:{_CLAUSE_WORDS}|as|anymore|any more|as well|by the way|especially|including|then|"
    r"like|at the moment|currently|myself|weirdly|funnily|already|way more|part[- ]time|"
    r"full[- ]time)\b|"
    # "a charge nurse starting last week": when it began, not the value (a time to come,
    # "... starting Monday", "... starting next month", leaves the value as it is: no job yet)
    r"\s+(?:starting|beginning)\s+(?=(?:last|yesterday|today|this\s+past)\b)|"
    # "Acme through June", "Austin till the end of the year": the end of what holds
    r"\s+(?:through|thru|till|til)\s+(?=(?:the\s+(?:end|start|middle)\b|(?-i:[A-Z])|\d|next\b|"
    r"this\b|mid\b))|"
    # chat without punctuation: "Leeds I guess", "Globex I have more free time"
    r"\s+(?-i:I)(?:['’](?:m|ve|d|ll))?\s+(?-i:[a-z])|"
    r"[,;:!?()\"]|\s[-–—]\s",
    re.IGNORECASE)
# An address runs on past commas that start another part of it ("14 Elm Road, Leeds LS6
# 2AB"): it ends at a clause word, other punctuation, or a comma before a lowercase word.
_ADDRESS_END = re.compile(
    rf"\s+(?:{_CLAUSE_WORDS}|with|for|near)\b|[;:!?()\"]|,\s*(?-i:(?=[a-z]))|\s[-–—]\s",
    re.IGNORECASE)
_LEADING_FILLER = re.compile(
    r"^(?:(?:actually|really|now|still|definitely|officially|currently|just)\s+)+", re.I)
_TRAILING_FILLER = re.compile(
    r"(?:\s+(?:now|then|too|again|actually|anyway|originally|though|ironically|honestly|"
    rf"really|after all|for sure|{FILLERS}|very much|so much|that much|a lot|at all|these days|"
    r"nowadays|currently|myself|as well|already|way more|my (?:whole|entire) life|"
    r"all my life|apparently|supposedly|presumably|obviously|evidently|seemingly))+$", re.I)


def value_end(text: str, start: int, *, address: bool = False) -> int:
    """Where a value that starts at `text[start:]` ends: at a clause word (and, but,
    because, now, ...), punctuation, or a sentence's period (not a title's, an initial's or
    a decimal's: "Dr. Okonkwo", "J. R. Smith", "3.5"). An `address` runs on past commas
    that start another of its parts ("14 Elm Road, Leeds")."""
    end = len(text)
    close = _quoted_at(text, start)
    if close is not None:  # a quoted title runs to its closing mark ("by Queen" goes on)
        if re.match(r"\s+by\s+(?-i:[A-Z])", text[close + 1:], re.I):
            return max(close + 1, value_end(text, close + 1, address=address))
        return close + 1
    ends = _ADDRESS_END if address else _CLAUSE_END
    m = ends.search(text, start)
    while m and m.group().strip().lower() == "and" and one_thing_across(text, start, m.start()):
        m = ends.search(text, m.end())  # "a gin and tonic" goes on past its "and"
    if m:
        end = m.start()
    for i in range(start, end):
        if text[i] != ".":
            continue
        before = text[start:i].split()
        word = before[-1].lower() if before else ""
        if text[i + 1:i + 2].isalnum():
            continue  # inside a token: 3.5, ivan.petrov@example.com, example.org
        if (word in TITLES or (len(word) == 1 and word.isalpha())) and re.match(
                r" ?[A-Z0-9]", text[i + 1:i + 3]):
            continue  # a title or an initial: Dr. Okonkwo, J. R. Smith
        if word in ("st", "mt", "ft") and re.match(r" ?[a-z]", text[i + 1:i + 3]) and \
                not any(c.isupper() for c in re.sub(r"\bI\b", "", text)):
            continue  # ... typed in lower case: "i live in st. louis" (its "i" made "I")
        return i
    return end


def one_thing_across(text: str, start: int, at: int) -> bool:
    """Whether a name of one thing said with "and" (ONE_THING_WITH_AND: "mac and cheese")
    that begins at or after `start` runs across `at`."""
    return any(m.start() < at < m.end() for m in ONE_THING.finditer(text, start, at + 40))


_QUOTE_PAIRS = {'"': '"', "“": "”"}
# Emoji and pictographs (with their joiners and variation selectors)
EMOJI = "\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f\u200d"
# ... after a value ("I live in NYC 🗽")
_TRAILING_SYMBOLS = re.compile(f"[\\s{EMOJI}]+$")


def _quoted_at(text: str, start: int) -> int | None:
    """Where the quote that opens at text[start] ("Hey Jude", “Dune”) closes, or None when
    none opens there or it never closes."""
    mark = _QUOTE_PAIRS.get(text[start:start + 1])
    if mark is None:
        return None
    close = text.find(mark, start + 1, start + 202)
    return close if close > start + 1 else None


# The marks of a title quoted inside a value ('"Bohemian Rhapsody" by Queen')
_INNER_QUOTE = re.compile(r'"([^"]+)"|“([^”]+)”')


def clean_value(value: str, *, keep_quotes: bool = False) -> str:
    """A value without surrounding blanks, quotes and filler words around it ("actually 15
    May" -> "15 May", "shellfish myself" -> "shellfish"), and without the marks of a title
    quoted in it ('"Bohemian Rhapsody" by Queen' -> "Bohemian Rhapsody by Queen")."""
    if not keep_quotes:  # (a list keeps them until it is split: rules._split_list)
        value = _INNER_QUOTE.sub(lambda m: m.group(1) or m.group(2), value)
    value = value.strip()
    # (a kept quoted title keeps its marks: '"Pride and Prejudice" and "Emma"')
    value = value.strip("'‘’" if keep_quotes and _INNER_QUOTE.search(value)
                        else "\"'“”‘’").strip()
    value = re.sub(r"\s+", " ", _TRAILING_SYMBOLS.sub("", value))  # "NYC 🗽"
    value = _TRAILING_FILLER.sub("", _LEADING_FILLER.sub("", value))
    return value.rstrip(" .,;:")


# Apps, services and tools people join, move to and leave as often as places and employers
# ("I joined Strava", "we moved to Linear", "I quit Instagram"): read as an employer only in a
# turn about work, never as a place.
APPS = frozenset("""
twitter x reddit strava facebook instagram tiktok mastodon bluesky threads discord slack teams
zoom linkedin snapchat pinterest tumblr youtube twitch whatsapp telegram signal spotify netflix
duolingo hinge tinder bumble github gitlab notion obsidian peloton goodreads letterboxd linear
jira asana trello confluence figma canva excel word outlook gmail chrome firefox safari edge
android iphone ios mac macos windows linux ubuntu python rust java javascript typescript go
kotlin swift golang vscode vim emacs meet skype substack medium patreon onlyfans uber lyft
airbnb etsy ebay amazon prime hulu disney+ hbo max paramount+ chatgpt claude gemini copilot
""".split()) | {"google meet", "google sheets", "google docs", "apple music", "microsoft teams",
                "visual studio code", "amazon prime", "disney plus", "youtube music"}

# Teams and departments one moves between at work ("I moved from Marketing to Sales"): no place.
DEPARTMENTS = frozenset("""
marketing sales engineering finance hr legal operations ops product design support it
accounting research management devops qa compliance procurement logistics admin analytics
payroll purchasing recruitment recruiting communications comms pr accounts
""".split()) | {"accounts payable", "accounts receivable", "customer service", "customer success",
                "human resources", "r&d"}

# Words that judge a thing or say its state rather than name it: "my job is hell", "my city
# is beautiful", "my car is broken again", "my salary is a joke" state no job, city, car or
# salary.
VERDICTS = frozenset("""
hell heaven beautiful gorgeous stunning lovely pretty ugly broken dead fixed dirty clean new old
late early gone missing stolen done over finished ready busy hectic crazy insane mad wild
chaotic chaos boring dull stressful exhausting draining killing brutal rough awful terrible
horrible horrendous dreadful appalling atrocious shocking lousy crap crappy trash garbage
rubbish shit shitty meh decent alright perfect wonderful fantastic fabulous brilliant
excellent incredible fun weird strange odd cute cool lame sad depressing tragic hilarious
funny expensive pricey cheap better worse best
worst joke nightmare mess disaster pain drag dream blast headache zoo circus madhouse war
struggle grind slog treadmill bore chore okay fine annoying frustrating ridiculous unreal
wreck dump shithole tip
soon coming full private secret confidential personal remote hybrid spam important
unimportant irrelevant relevant based located complicated classified
amazing awesome great good bad nice hard tough easy fucked screwed toast doomed cursed
""".split())
# ... and sizes, a verdict but of a size, a height or a weight ("my hometown is small")
SIZES = frozenset("small big huge tiny massive enormous low high short tall".split())

# What one "works for" that is no employer: "I work for peanuts", "I work for the weekend",
# "I work for myself".
NOT_EMPLOYERS = frozenset(w.replace("-", " ") for w in """
peanuts free nothing money food tips pennies cash exposure fun love myself yourself himself
herself ourselves themselves me us weekends weekend the-weekend the-weekends a-living living
the-money minimum-wage hours a-pittance beer coffee chocolate the-man the-system
night nights night-shift the-night home
smoking drinking vaping gambling sugar caffeine alcohol booze meat dairy gluten carbs
""".split())

# Clubs, classes and programmes one joins or starts with, as one joins an employer ("I
# joined Weight Watchers", "I started with Pilates"): no employer.
CLUBS = frozenset(w.replace("-", " ") for w in """
weight-watchers ww mensa noom pilates yoga crossfit keto paleo parkrun toastmasters scouts
the-scouts girl-scouts boy-scouts rotary the-rotary-club aa na orangetheory f45 zumba
slimming-world the-gym a-gym a-club a-choir a-band a-team a-book-club the-brownies brownies
guides the-guides
barre spin boxing karate judo taekwondo jiu-jitsu bjj salsa ballet nanowrimo
whole30 veganuary dry-january movember
""".split())

# What one is "allergic to" in jest: "allergic to Mondays", "allergic to exercise".
NOT_ALLERGENS = frozenset(w.replace("-", " ") for w in """
mondays monday mornings early-mornings exercise work hard-work effort people commitment
commitments drama math maths homework responsibility responsibilities the-gym gym cardio
running adulting small-talk meetings chores cleaning housework stupidity nonsense bs bullshit
waking-up getting-up feelings emotions romance fun me you him her them everyone everybody
marriage kids children babies deadlines alarms rules authority sports capitalism politics
excel spreadsheets paperwork taxes bureaucracy
""".split())

# No one's home town: "I'm from Mars", "from the future".
NOT_ORIGINS = frozenset(w.replace("-", " ") for w in """
mars venus jupiter saturn pluto the-moon space outer-space another-planet the-future the-past
the-internet the-internets nowhere everywhere
work college school uni university high-school grad-school church the-gym the-office class
home the-neighbourhood the-neighborhood
""".split())

# What "I'm ..." says of a person with a capital letter but no name: nationalities, faiths,
# star signs, conditions ("I'm Catholic", "I'm Nigerian", "I'm Pisces", "I'm Autistic").
PEOPLE_ADJECTIVES = frozenset("""
afghan albanian algerian andorran angolan argentine argentinian armenian australian austrian
azerbaijani bahraini bangladeshi barbadian belarusian belgian belizean beninese bhutanese
bolivian bosnian botswanan bulgarian burmese burundian cambodian cameroonian chadian
chilean colombian congolese croatian cuban cypriot czech danish djiboutian dominican
ecuadorian egyptian emirati eritrean estonian ethiopian fijian filipino filipina finnish
gabonese gambian georgian ghanaian grenadian guatemalan guinean guyanese haitian honduran
hungarian icelandic indonesian iranian iraqi israeli ivorian jamaican jordanian kazakh
kenyan kuwaiti kyrgyz laotian latvian lebanese liberian libyan lithuanian luxembourgish
macedonian malagasy malawian malaysian maldivian malian maltese mauritanian mauritian
moldovan mongolian montenegrin moroccan mozambican namibian nepalese nepali nicaraguan
nigerian nigerien norwegian omani pakistani palestinian panamanian paraguayan peruvian
qatari romanian rwandan salvadoran samoan saudi senegalese serbian singaporean slovak
slovakian slovenian somali sudanese surinamese swazi swiss syrian taiwanese tajik
tanzanian thai togolese tongan trinidadian tunisian turkmen ugandan ukrainian uruguayan
uzbek venezuelan vietnamese welsh yemeni zambian zimbabwean asian african european latino
latina latinx hispanic arab arabic persian kurdish jewish muslim hindu buddhist sikh catholic
protestant mormon orthodox atheist agnostic evangelical lutheran baptist methodist
anglican presbyterian quaker pagan aries taurus gemini virgo libra scorpio sagittarius
capricorn aquarius pisces autistic adhd diabetic dyslexic deaf blind celiac coeliac
epileptic asthmatic bipolar disabled neurodivergent engaged gluten dairy lactose trans gay
lesbian bi bisexual queer straight nonbinary asexual introverted extroverted introvert
extrovert millennial boomer republican democrat conservative liberal libertarian socialist
""".split())

# A relative's attributes said after a possessive typed without its apostrophe ("my sisters
# name is Lena", "whats my dogs name"): statements (rules) and questions (questions) alike.
POSSESSED_ATTRIBUTES_RE = (r"(?:name|birthday|bday|b-day|age|number|phone\s+number|email|"
                           r"address|job|city|employer)")

# Nationalities said as a noun, mostly in chat ("I'm a Brit", "Brits and Aussies are funny",
# "My friends are Kiwis and Yanks"): no one's name. Not the ones that are also first names
# ("Finn", "Dane"): those stay names.
DEMONYM_NOUNS = frozenset("""
brit aussie ozzie kiwi yank yankee canuck scot scots pom pommie pinoy pinay limey gringo
gringa swede turk pole dutchman dutchwoman englishman englishwoman frenchman
frenchwoman irishman irishwoman scotsman scotswoman welshman welshwoman brummie geordie
scouser cockney texan californian londoner parisian berliner
""".split())

# Where one "lives" in a saying: "i live in fear of spiders", "in hope", "in my head".
NOT_PLACES = frozenset(w.replace("-", " ") for w in """
fear hope denial the-moment the-past the-future sin peace harmony limbo misery luxury poverty
squalor chaos a-bubble a-dream a-fantasy a-nightmare dread terror shame regret comfort
sweatpants pyjamas pajamas hoodies leggings jeans the-gym the-office the-library my-car a-van
experience
""".split())
# ... and names that are no place one lives in or comes from, in any case ("I'm in AA now",
# "I grew up in the Church", "I moved to the NHS")
NOT_PLACE_NAMES = frozenset(w.replace("-", " ") for w in """
aa na rehab therapy recovery slytherin gryffindor hufflepuff ravenclaw the-church the-matrix
the-nhs the-army the-navy the-military the-forces the-raf the-sixties the-seventies
the-eighties the-nineties the-fifties
""".split())

# Numbers said in words ("I have two kids", "a mum of three"): rules._COUNTED_KIN and
# questions.stated_counts read them alike.
NUMBER_WORDS = {"no": 0, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
                "twelve": 12, "a couple of": 2}

# Places known by name (countries, US states, large cities; lower case, "-" for a space):
# "I left London" left a city, not an employer (rules._left_job). Not a gazetteer of the
# world: a name not here is read by the shape of the sentence, as before.
KNOWN_PLACES = frozenset(w.replace("-", " ") for w in """
afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan
bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia
botswana brazil brunei bulgaria burkina-faso burundi cambodia cameroon canada chile china
colombia congo costa-rica croatia cuba cyprus czechia czech-republic denmark djibouti dominica
ecuador egypt el-salvador england eritrea estonia eswatini ethiopia fiji finland france gabon
gambia georgia germany ghana greece grenada guatemala guinea guyana haiti honduras hungary
iceland india indonesia iran iraq ireland israel italy jamaica japan kazakhstan kenya
kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania
luxembourg madagascar malawi malaysia maldives mali malta mauritania mauritius mexico moldova
monaco mongolia montenegro morocco mozambique myanmar namibia nepal netherlands holland
new-zealand nicaragua niger nigeria north-korea north-macedonia norway oman pakistan palestine
panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa
saudi-arabia scotland senegal serbia seychelles sierra-leone singapore slovakia slovenia
somalia south-africa south-korea korea spain sri-lanka sudan suriname sweden switzerland syria
taiwan tajikistan tanzania thailand togo tonga trinidad tunisia turkey turkmenistan uganda
ukraine uruguay uzbekistan venezuela vietnam wales yemen zambia zimbabwe usa the-us
the-usa america the-uk uk britain great-britain the-states the-netherlands the-philippines
the-uae uae
alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii
idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan
minnesota mississippi missouri montana nebraska nevada new-hampshire new-jersey new-mexico
new-york north-carolina north-dakota ohio oklahoma oregon pennsylvania rhode-island
south-carolina south-dakota tennessee texas utah vermont virginia washington west-virginia
wisconsin wyoming ontario quebec alberta bavaria catalonia tuscany sicily
london paris berlin madrid rome lisbon porto barcelona valencia seville milan naples turin
florence venice vienna prague budapest warsaw krakow amsterdam rotterdam brussels antwerp
copenhagen stockholm oslo helsinki reykjavik dublin cork belfast edinburgh glasgow cardiff
manchester liverpool birmingham leeds sheffield bristol newcastle nottingham leicester oxford
cambridge brighton york bath munich hamburg frankfurt cologne stuttgart dusseldorf zurich
geneva basel lyon marseille nice toulouse bordeaux athens istanbul ankara moscow
st-petersburg kyiv kiev bucharest sofia belgrade zagreb tallinn riga vilnius
new-york-city nyc los-angeles la san-francisco sf chicago boston seattle portland denver
austin dallas houston san-antonio san-diego phoenix atlanta miami orlando tampa nashville
philadelphia pittsburgh detroit minneapolis st-louis kansas-city new-orleans las-vegas
salt-lake-city baltimore charlotte raleigh columbus cleveland cincinnati indianapolis
milwaukee sacramento san-jose oakland honolulu anchorage brooklyn manhattan queens the-bronx
toronto montreal vancouver calgary ottawa edmonton winnipeg halifax mexico-city guadalajara
monterrey havana bogota lima santiago buenos-aires sao-paulo rio rio-de-janeiro caracas quito
montevideo cairo lagos abuja nairobi accra addis-ababa johannesburg cape-town durban
casablanca marrakech tunis dakar kampala kigali dar-es-salaam tokyo osaka kyoto seoul busan
beijing shanghai shenzhen guangzhou hong-kong taipei singapore bangkok hanoi ho-chi-minh-city
manila jakarta bali kuala-lumpur mumbai delhi new-delhi bangalore bengaluru chennai kolkata
hyderabad pune karachi lahore islamabad dhaka kathmandu colombo dubai abu-dhabi doha riyadh
jeddah tehran baghdad beirut amman jerusalem tel-aviv sydney melbourne brisbane perth
adelaide canberra auckland wellington christchurch
""".split())

# A place left for a while, not for good ("I left Lisbon this morning for a conference"):
# its name left ends no city (rules._left_job, ingest._apply).
TRIP = re.compile(r"\b(?:this\s+(?:morning|afternoon|evening)|tonight|today|on\s+\w+day|"
                  r"at\s+\d|for\s+(?:a|an|the|my|our|\d+|two|three|few|some|work|business)\b|"
                  r"(?:flew|drove|headed|went|back\s+(?:on|in))\b)", re.I)

# Dishes, drinks and kinds said with "and" that are one thing ("mac and cheese", "rock and
# roll"): a list of likes is not split inside them (rules._split_list).
ONE_THING_WITH_AND = frozenset(w.replace("-", " ") for w in """
fish-and-chips mac-and-cheese macaroni-and-cheese rock-and-roll rock-n-roll gin-and-tonic
rum-and-coke whisky-and-soda whiskey-and-soda vodka-and-tonic bread-and-butter
salt-and-vinegar salt-and-pepper peanut-butter-and-jelly pb-and-j bangers-and-mash
sweet-and-sour surf-and-turf rice-and-beans beans-and-rice chips-and-salsa chips-and-dip
cookies-and-cream strawberries-and-cream bacon-and-eggs ham-and-eggs eggs-and-bacon
steak-and-chips steak-and-kidney-pie cheese-and-crackers cheese-and-onion
rhythm-and-blues drum-and-bass dungeons-and-dragons arts-and-crafts hide-and-seek
law-and-order sex-and-the-city pride-and-prejudice war-and-peace fast-and-furious
lox-and-bagels biscuits-and-gravy chicken-and-waffles shrimp-and-grits pork-and-beans
spaghetti-and-meatballs liver-and-onions tea-and-biscuits milk-and-cookies
""".split())
ONE_THING = re.compile(r"\b(?:" + "|".join(
    sorted((re.escape(p).replace(r"\ ", r"\s+") for p in ONE_THING_WITH_AND), key=len,
           reverse=True)) + r")\b", re.I)

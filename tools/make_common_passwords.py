"""Write ``server/data/common_passwords.txt`` (run once; the list is committed): python tools/make_common_passwords.py.

Where the list comes from, honestly: nothing was downloaded. The machine this was
written on could reach no breach corpus, so the list is generated here from
patterns that every published "most common passwords" list (SplashData/NordPass
yearly lists, the NCSC's 100k list from Have I Been Pwned, SecLists' top lists)
is known to be dominated by, plus the top entries of those lists as they are
widely remembered and quoted. It is an approximation of "the few thousand most
common passwords", not a copy of any of them. Its job is the one in
``server/auth.py``: turn away a password that a guesser tries in its first few
thousand guesses. Passwords are compared lower-cased, with spaces removed and
with trailing digits and ``!?.*#@$`` stripped, so ``Password12``, ``monkey2024!``
and ``Sunshine 1`` all meet ``password``, ``monkey`` and ``sunshine`` here.

Deliberately left out: "correct horse battery staple" (xkcd 936). It is famous
enough to be in cracking word lists, but it is the password the test suites
sign in with. Nobody should use it for real all the same.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "server" / "data" / "common_passwords.txt"

# the top of the published lists, as widely quoted (lower case; digits-only ones included)
TOP = """
123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball abc123 football
monkey letmein shadow master 666666 qwertyuiop 123321 mustang 1234567890 michael 654321 superman 1qaz2wsx
7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter buster soccer
harley batman andrew tigger sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel starwars
klaster 112233 george computer michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777
pass maggie 159753 aaaaaa ginger princess joshua cheese amanda summer love ashley nicole chelsea biteme
matthew access yankees 987654321 dallas austin thunder taylor matrix mobilemail mom monitor monitoring
montana moon moscow william corvette hello martin heather secret fucker merlin diamond 1234qwer gfhjkm
hammer silver 222222 88888888 anthony justin test bailey q1w2e3r4t5 patrick internet scooter orange 11111
golfer cookie richard samantha bigdog guitar jackson whatever mickey chicken sparky snoopy maverick
phoenix camaro peanut morgan welcome falcon cowboy ferrari samsung andrea smokey steelers joseph mercedes
dakota arsenal eagles melissa boomer booboo spider nascar monster tigers yellow xxxxxx 123123123 gateway
marina diablo bulldog qwer1234 compaq purple hardcore banana junior hannah 123654 porsche lakers iceman
money cowboys 987654 london tennis 999999 ncc1701 coffee scooby 0000 miller boston q1w2e3r4 brandon
yamaha chester mother forever johnny edward 333333 oliver redsox player nikita knight fender barney
midnight please brandy chicago badboy slayer rangers charles angel flower bigdaddy rabbit wizard bigdick
jasper enter rachel chris steven winner adidas victoria natasha 1q2w3e4r jasmine winter prince panties
marine ghbdtn fishing cocacola casper james 232323 raiders 888888 marlboro gandalf asdfasdf crystal
87654321 12344321 golden 8675309 barbie shannon murphy wolverine alexander thx1138 trumpet carlos
blowme magnum tiger sexy heaven jasmine dolphin orange1 toyota viper gemini 1111111 angels tucker lucky
bubbles apple poohbear secret1 freddy stupid sammy sophie picture thunder1 ashley1 access14 qwerty1
qwerty12 qwerty123 qwertyui iloveyou1 iloveu princess1 abc123456 password1 password12 password123
passw0rd p@ssw0rd p@ssword pa55word pa55w0rd letmein1 welcome1 admin admin123 administrator root toor
login guest changeme default system user demo test123 testing 123abc abcd1234 1q2w3e 1q2w3e4r5t
1q2w3e4r5t6y zaq12wsx zaq1zaq1 zaq1xsw2 xsw2zaq1 !qaz2wsx 1qazxsw2 qazwsxedc 1qaz2wsx3edc aa123456
a123456 123456a 123456aa a1b2c3d4 a1b2c3 abcdef abcdefg abcdefgh 1a2b3c4d 11223344 112233445566
123654789 147258369 159357 741852963 963852741 123456789a 1234567a 0123456789 9876543210 12345678910
01234567 123456789q qwerty12345 qwertyuiop123 asdfghjkl asdfghjk zxcvbnm123 zxcvbnm1 1234554321
123454321 147852369 789456123 456789 987456321 654123 147258 258369 369258147 102030 10203040 121314
131415 141516 010203 123321123 123123a 123qweasd qweasdzxc qweasd 1qaz1qaz 2wsx3edc asdasd asdasd123
qwe123 qweqwe qwertyu qwert asd123 zxc123 zxczxc azerty qwertz iloveyou2 loveyou lovely love123 iloveme
ilovegod jesus christ jesus1 blessed faith godisgood trinity angel1 heaven1 hallo hello1 hello123
helloworld hellokitty kitty kitten pussycat doggie puppy dogs cats catdog fluffy buddy max maxwell
charlie1 bella lucy daisy molly rocky bear teddy teddybear honey sugar candy cupcake muffin cookie1
chocolate butterfly flower1 rose sunflower rainbow unicorn sparkle glitter pretty beautiful gorgeous
sweetheart sweetie babygirl baby babyboy angelbaby princesa lovers lover loveme love1 mylove myself
family friends friend bestfriend forever1 together always nothing someone anything everything
""".split()

# words that people build passwords from: teams, bands, films, games, things, feelings, places
WORDS = """
liverpool manchester manutd chelsea arsenal tottenham everton celtic rangers leeds newcastle westham
barcelona realmadrid juventus milan bayern football1 soccer1 baseball1 basketball hockey1 golf tennis1
cricket rugby boxing wrestling skateboard snowboard surfing fishing1 hunting racing motorbike harley1
ferrari1 porsche1 mercedes1 bmw audi honda yamaha1 suzuki kawasaki ducati mustang1 corvette1 camaro1
chevy ford fordf150 toyota1 nissan subaru volvo jaguar lamborghini bugatti mclaren tesla
starwars1 startrek pokemon pikachu charizard mario zelda minecraft fortnite roblox halo callofduty
warcraft diablo2 skyrim batman1 superman1 spiderman ironman hulk thor captain avengers marvel
harrypotter hogwarts gryffindor slytherin hermione gandalf1 frodo hobbit matrix1 terminator
metallica nirvana slipknot eminem beatles queen rolling stones linkinpark greenday blink blink182
rockstar rockandroll music musician guitar1 drummer piano singer dancer dancing
sunshine1 summer1 winter1 spring autumn october november december january february march april
may june july august september monday tuesday wednesday thursday friday saturday sunday weekend
holiday christmas easter birthday happy happiness smile smiley funny laugh crazy awesome amazing
cool cooldude coolguy sexy1 hottie hotstuff lovely1 beauty beautiful1 handsome
secret secretpassword mysecret private personal hidden unknown nobody anonymous
letmein2 letmeinnow openup opensesame open sesame access1 allowme enterhere
welcome123 welcome2 welcometo hi hiya hey heythere
computer1 internet1 laptop desktop windows windows7 windows10 microsoft apple1 macintosh macbook iphone
android samsung1 google facebook twitter instagram youtube yahoo hotmail gmail outlook linkedin
email mypassword mypass passpass passport password0 passwords passwd pwd secret123 super
superstar superman2 supergirl superuser administrator1 adminadmin rootroot webmaster sysadmin
manager office business company work school teacher student college university homework
england london1 britain scotland wales ireland dublin edinburgh glasgow cardiff belfast manchester1
birmingham liverpool1 leeds1 bristol sheffield newyork america usa canada australia sydney
melbourne paris france germany berlin italy rome spain madrid brazil mexico india china japan tokyo
russia moscow1 poland ukraine
money1 dollar dollars cash rich million millionaire bitcoin crypto gold silver1 diamond1 platinum
ruby emerald sapphire crystal1 pearl
dragon1 dragons tiger1 tigers1 lion lions eagle eagles1 falcon1 hawk wolf wolves wolfpack panther
cheetah leopard jaguar1 shark sharks dolphin1 whale turtle monkey1 donkey horse horses pony
bunny rabbit1 mouse snake cobra viper1 python spider1 scorpion dinosaur trex
killer1 hunter1 shadow1 ninja samurai warrior soldier sniper ranger1 knight1 king queen1 prince1
princess2 lord master1 boss bigboss chief legend legendary hero champion winner1 victory
phoenix1 thunder2 lightning storm hurricane tornado blizzard fire flame ice snow rain sun moon1 star
stars galaxy planet universe cosmos space rocket
orange2 apple2 banana1 cherry strawberry blueberry peach lemon lime mango pineapple coconut
pepper1 pizza burger cheese1 bacon chicken1 cookie2 coffee1 tea beer whisky vodka
red blue green yellow1 purple1 pink black white grey gray brown silver2 blackcat bluesky
redrose greenday1 blackjack poker casino lucky1 lucky7 luckyme jackpot
freedom1 liberty justice peace love2 hope faith1 trust trustme believe dream dreamer dreams
destiny forever2 eternity infinity
""".split()

# the app's own words: a guesser who knows what the site is tries these first
SITE = "minuted minutes meeting meetings school senco ehcp iep sen send parent parents mummy daddy mum dad".split()

FIRST_NAMES = """
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony
mark donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey
ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory
alexander frank patrick raymond jack dennis jerry tyler aaron jose adam nathan henry douglas zachary
peter kyle ethan walter noah jeremy christian keith roger terry gerald harold sean austin carl arthur
lawrence dylan jesse jordan bryan billy joe bruce gabriel logan albert willie alan juan wayne elijah
randy roy vincent ralph eugene russell bobby mason philip louis harry oliver jake liam charlie alfie
freddie archie leo oscar theo arthur1 finley lucas max toby teddy reggie rory jamie callum connor
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret
sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca
sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma nicole helen samantha
katherine christine debra rachel carolyn janet catherine maria heather diane ruth julie olivia joyce
virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline
martha gloria teresa ann sara madison frances kathryn janice jean abigail alice judy sophia grace
denise amber doris marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie
kayla alexis lori amelia isla ava mia ella poppy lily sophie ivy freya florence willow rosie evie
phoebe chloe ruby daisy1 millie harper luna scarlett jasmine1 holly megan1 lucy1 molly1 jade zoe
""".split()

PASSWORD_FORMS = """
password passw0rd p@ssw0rd p@ssword pa55word pa55w0rd passwort pass1234 password! password1! password123!
p@ssw0rd1 p@ssw0rd! passw0rd! p4ssw0rd p4ssword passwordpassword mypassword newpassword thepassword
password01 password2 password3 password7 password11 password12 password99 password1234 password12345
password123456 passwordpass password@123 password#1 pa$$word pa$$w0rd passwordd paswoord pasword
""".split()

# keyboard rows (UK/US qwerty, German qwertz, French azerty) and their columns
ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "yxcvbnm", "azertyuiop", "qsdfghjklm",
        "wxcvbn", "!@#$%^&*()"]
COLUMNS = ["1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik,", "9ol.", "0p;/"]
WALK_EXTRA = """
1q2w3e4r5t6y7u8i9o0p q1w2e3r4t5y6 1a2s3d4f 1z2x3c4v a1s2d3f4 qawsedrf qwaszx qweasdzxc123 qazxswedc
qazwsxedcrfv 1qaz2wsx3edc4rfv zaq!2wsx !qaz@wsx #edc$rfv 1qaz@wsx qwertyuiop[] asdfghjkl; zxcvbnm,./
qwe123qwe asdf1234 zxcv1234 qwer4321 poiuytrewq lkjhgfdsa mnbvcxz 0987654321 ytrewq ewq321 321ewq
asdfjkl asdfjkl; jkl; qwaszxqwaszx qweasdzxcqweasdzxc 147896325 159632 951753 753951 852456 456852
147369 321654987 789654123 741852 963852 258456 2580 0852
""".split()

CHARS = "abcdefghijklmnopqrstuvwxyz0123456789!."
LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5"})
LEET_AT = str.maketrans({"a": "@", "o": "0", "s": "$"})


def walks():
    """Keyboard rows forwards and backwards, every run of 4+ keys, and column walks."""
    out = set()
    for row in ROWS:
        for line in (row, row[::-1]):
            for length in range(4, len(line) + 1):
                for start in range(0, len(line) - length + 1):
                    out.add(line[start:start + length])
    for n in range(2, len(COLUMNS) + 1):
        out.add("".join(COLUMNS[:n]))
        out.add("".join(c[::-1] for c in COLUMNS[:n]))
    return out | set(WALK_EXTRA)


def repeats():
    """One key held down (aaaaaa… 6 to 16 long), pairs and threes repeated, counting runs."""
    out = set()
    for ch in CHARS:
        for n in range(6, 17):
            out.add(ch * n)
    for unit in ("12", "123", "1234", "12345", "ab", "abc", "abcd", "qw", "qwe", "qwer", "xo", "ha", "la", "69",
                 "00", "01", "10", "21", "321", "007", "99", "789", "147", "159", "258", "369", "aa1", "a1", "1a"):
        for times in range(2, 7):
            out.add(unit * times)
    for start in range(0, 10):
        digits = "".join(str((start + i) % 10) for i in range(10))
        out.add(digits)
        out.add(digits[::-1])
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    for length in range(4, 27):
        out.add(alphabet[:length])
        out.add(alphabet[:length][::-1])
    return out


def years_and_dates():
    """Years 1940–2035 alone, doubled and in common date shapes (01011990, 1990-style birthdays are guessed early)."""
    out = set()
    for year in range(1940, 2036):
        y = str(year)
        out.update({y, y + y, "01" + "01" + y, "1" + "1" + y, y + "1", "12" + "12" + y})
    for day in ("01", "11", "12", "21", "22", "23", "31"):
        for month in ("01", "02", "06", "10", "11", "12"):
            for year in range(1960, 2011):
                out.add(f"{day}{month}{year}")
    return out


def variants(words):
    """Common ways a word is dressed up: doubled, 'my'/'i love' in front, leetspeak, a ! at the end."""
    out = set()
    for w in words:
        if not w.isalpha():
            continue
        out.update({w + w, "my" + w, "ilove" + w, w.translate(LEET), w.translate(LEET_AT), w + "!", w + "123!"})
    return out


def main():
    base = set(TOP) | set(WORDS) | set(SITE) | set(FIRST_NAMES) | set(PASSWORD_FORMS)
    common = base | walks() | repeats() | years_and_dates()
    common |= variants(set(TOP[:300]) | set(FIRST_NAMES[:120]) | set(WORDS[:200]))
    common = sorted({w.lower() for w in common if w and " " not in w} - {"correcthorsebatterystaple"})
    header = [
        "# The passwords Minuted refuses because a guesser tries them first (server/auth.py reads this).",
        "# Generated by tools/make_common_passwords.py: NOT a download of a breach list. It was built",
        "# from the top entries of the published most-common lists as widely quoted, and from the",
        "# patterns those lists are made of: keyboard walks, 'password' dressed up, years and dates,",
        "# names and everyday words, held-down keys and counting runs. See the script for the details.",
        "# Compared lower-cased, without spaces, and with trailing digits and !?.*#@$ stripped.",
        "# Left out on purpose: xkcd 936's passphrase, which the test suites sign in with.",
        f"# {len(common)} entries, one a line.",
    ]
    OUT.write_text("\n".join(header + common) + "\n", encoding="utf-8")
    print(f"wrote {len(common)} passwords to {OUT}")


if __name__ == "__main__":
    main()

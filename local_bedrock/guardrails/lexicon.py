"""Hand-written lexicons and patterns for the offline guardrail policies.

Content filters (HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT, PROMPT_ATTACK) combine, in
:mod:`local_bedrock.guardrails.content`, the classifier of :mod:`.classifier` (trained on the
texts of ``data/train/``) with these explainable signals:

* ``RULES[category]``: regular expressions with a weight in (0, 1], roughly the probability that
  a sentence matching it belongs to the category. Most rules need a *target* (a person, a group,
  "you") or an *intent* ("how do I ...") so that ordinary support language ("kill the process",
  "my robot was stolen", "ignore the kitchen") does not match.
* ``MITIGATORS``: patterns that lower a category's score (mentions rather than uses, e.g.
  "is this a phishing email?").

The managed PROFANITY word list is deliberately mild: common English swear words, no slurs.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- managed words

PROFANITY = (
    "damn", "dammit", "damnit", "goddamn", "goddamned", "crap", "crappy", "shit", "shitty",
    "bullshit", "horseshit", "shite", "fuck", "fucking", "fucked", "fucker", "fuckin", "motherfucker",
    "wtf", "stfu", "piss", "pissed", "bastard", "bastards", "asshole", "assholes", "arse",
    "arsehole", "bollocks", "bugger", "wanker", "dickhead", "jackass", "douchebag", "screw you",
    "what the hell", "go to hell", "bloody hell", "son of a bitch",
)

# --------------------------------------------------------------------------- shared fragments

_PERSON = (r"(?:(?:a|an|the|my|your|his|her|their|our|some|that|this)\s+)?(?:(?:\w+'s\s+)?(?:[a-z-]+\s+)?(?:person|people|someone|somebody|"
           r"anyone|everyone|him|her|them|you|myself|yourself|neighbou?rs?|wife|husband|partner|"
           r"girlfriend|boyfriend|ex|kids?|child|children|baby|family|boss|cowork(?:er|ers)|"
           r"colleagues?|roommate|teacher|students?|man|woman|men|women|guy|girl|boy|"
           r"customers?|intruders?|police|cops?|officers?|owners?|cats?|dogs?|pets?|animals?))\b"
           # "kill all child processes", "kill the parent thread": software, not people
           r"(?!\s+(?:process(?:es)?|threads?|tasks?|jobs?|nodes?|elements?|widgets?|pods?|containers?))")
_GROUP = (r"(?:immigrants?|refugees?|foreigners?|migrants?|muslims?|jews?|jewish people|christians?|"
          r"hindus?|buddhists?|atheists?|women|men|girls|gays?|lesbians?|gay people|trans people|"
          r"transgender people|black people|white people|asians?|hispanics?|latinos?|arabs?|"
          r"africans?|mexicans?|chinese people|indians?|disabled people|the disabled|old people|"
          r"the elderly|poor people|(?:people|those people) (?:of|from) (?:that|this|a certain|their) "
          r"(?:religion|race|country|ethnicity|ethnic group|culture|tribe)|(?:that|this|a certain|one) "
          r"(?:race|religion|ethnic group|ethnicity|nationality))")
_HOWTO = (r"(?:how (?:do|can|could|would|should) (?:i|we|you|one)|how to|ways? to|help me|teach me|"
          r"show me how to|explain how to|tell me how to|best way to|steps? to|guide to|instructions? (?:for|to)|"
          r"i want to|i'm going to|i am going to|i need to|give me a (?:script|plan|guide) to|"
          r"(?:what's|what is) the (?:easiest|quickest|simplest|best|safest) way to|easiest way to|quickest way to|walk me through|talk me through)")

# the assistant's own governing text ("your instructions", "the rules you follow", "system prompt")
_META = (r"\b(?:your|its|the assistant'?s|the ai'?s|the bot'?s)\s+(?:[\w-]+\s+){0,2}(?:instructions?|rules|guidelines|"
         r"restrictions|limits|limitations|filters|safeguards|guardrails|programming|prompt|directives?|constraints|"
         r"training|setup|configuration|safety (?:checks?|settings?|features?|measures?)|checks|moderation|"
         r"(?:content |safety |usage )polic(?:y|ies))\b"
         r"|\b(?:prompt|instructions?|rules|guidelines|directives?)\s+(?:[\w-]+\s+){0,2}(?:gave|give|gives|has given|provided|wrote for|set for) you\b"
         r"|\b(?:instructions?|rules|guidelines|prompt)\s+(?:did|do|does|have|has)\s+(?:your\s+)?(?:developers?|creators?|makers?|company|[a-z]\w+)\s+(?:give|tell|set)\b"
         r"|\byour polic(?:y|ies) (?:says?|forbids?|prevents?|allows?|doesn'?t allow)\b"
         r"|\b(?:the\s+)?(?:instructions?|rules|guidelines|polic(?:y|ies)|restrictions|directives|constraints|prompt|text)\s+"
         r"(?:that\s+)?you\s+(?:were|are|have been|operate|follow|must follow|run|got|received)\b"
         r"|\b(?:system|setup|initial|hidden|original|secret|confidential)\s+(?:prompt|instructions?|rules|message)\b"
         r"|\b(?:prompt|text|instructions?|message)\s+(?:before|above|preceding)\s+(?:my|this|the)\s+(?:first\s+)?(?:message|question|line|conversation)\b"
         r"|\b(?:previous|prior|above|earlier|preceding|existing|current)\s+(?:instructions?|rules|directions?|guidelines|prompts?|directives)\b")
_OVERRIDE = (r"\b(?:ignore[sd]?|ignoring|disregard\w*|forget|override|overrule|bypass|break|violate|circumvent|skip|drop|void|"
             r"lifted|removed|suspended|disabled|revoked|cancell?ed|no longer (?:apply|valid|matter)|don'?t apply|"
             r"even if|otherwise|opposite|contrary|without|free from|instead|replaced?|updated|changed|"
             r"switched off|turned off|are off|is off|skip(?:ping)?)\b")
_DISCLOSE = (r"\b(?:reveal|show|print|display|output|repeat|recite|copy|paste|summari[sz]e|share|tell me|list|"
             r"translate|leak|dump|describe|spell out|write out|what (?:is|are|was|were) (?:in|written)|quote|"
             r"wording|verbatim|(?:begin|start) (?:your )?(?:reply|response|answer) with|first \d+ (?:words|lines))\b")

RULES: dict[str, list[tuple[str, float]]] = {
    # ------------------------------------------------------------------ HATE
    "HATE": [
        (_GROUP + r"\b[^.!?]{0,40}\b(?:are|is|were)\s+(?:all\s+|just\s+|nothing but\s+)?(?:an?\s+)?(?:vermin|animals|subhuman|inferior|"
                  r"parasites|criminals|filth|trash|garbage|disease|plague|a burden|burdens|too stupid|"
                  r"stupid|dirty|evil|terrorists|ruining|destroying)", 0.9),
        (_GROUP + r"\b[^.!?]{0,40}\b(?:should|must|need to|deserve to)\s+(?:all\s+)?(?:be\s+)?(?:die|be killed|"
                  r"be deported|deported|be removed|removed|be banned|banned|be locked up|locked up|"
                  r"be driven out|driven out|go back|be exterminated|get out|be sterili[sz]ed)", 0.9),
        (_GROUP + r"\b[^.!?]{0,30}\b(?:don'?t|do not|doesn'?t) deserve (?:rights|to live|respect|to exist)", 0.9),
        (r"\b(?:subhuman|untermensch|master race|racially inferior|inferior races?|ethnic cleansing|"
         r"race war|white power|racial purity)\b", 0.75),
        (r"\b(?:one|my|our|the white|the black|a certain) race is (?:superior|better)\b|\bsuperior to all other (?:races|people)\b"
         r"|\brace is superior\b", 0.85),
        (r"\b(?:get rid of|remove|eliminate|drive out|exterminate|ban)\b[^.!?]{0,20}\b" + _GROUP, 0.75),
        (r"\b" + _GROUP + r"\b[^.!?]{0,25}\b(?:a burden on society|burden on society|ruining (?:this|our|the) country|"
         r"taking over|destroying (?:our|this))", 0.85),
        (r"\bi hate (?:all\s+)?" + _GROUP, 0.85),
        (_GROUP + r"\b[^.!?]{0,40}\b(?:they(?:'re| are)|are|is)\s+(?:all\s+|so\s+|too\s+)?(?:dangerous|a threat|threats|violent|savages|thieves|lazy|parasites)\b", 0.8),
        (r"\b(?:won'?t|will not|refuse to|don'?t|do not|never)\s+(?:serve|hire|sell to|rent to|allow|help)\s+(?:any\s+)?" + _GROUP, 0.75),
        (_GROUP + r"\b[^.!?]{0,30}\b(?:should(?:n't| not)|must(?:n't| not)|can(?:'t|not)) be allowed\b", 0.85),
        (_GROUP + r"\b[^.!?]{0,60}\b(?:should|must|need to) be (?:put away|kept out|sent back|segregated|shut away|locked away)", 0.85),
        (r"\b(?:mock(?:s|ing)?|ridicul\w+|demean\w*|dehumaniz\w+)\b[^.!?]{0,20}\b" + _GROUP, 0.7),
        (_GROUP + r"\s+as\s+(?:useless|worthless|inferior|stupid|dirty|animals|vermin|subhuman|a burden)\b", 0.8),
        (r"\b(?:all|every)\s+" + _GROUP + r"\s+(?:are|is)\b", 0.35),
    ],
    # ------------------------------------------------------------------ INSULTS
    "INSULTS": [
        (r"\byou(?:'re| are| r|\s+absolute|\s+stupid|\s+worthless|\s+pathetic|\s+useless)?\s+(?:such\s+)?(?:an?\s+)?(?:absolute\s+|complete\s+|total\s+|utter\s+)?"
         r"(?:idiot|moron|imbecile|fool|clown|loser|dumbass|dimwit|halfwit|cretin|jerk|"
         r"stupid|dumb|worthless|pathetic|brain-?dead|useless piece|piece of (?:junk|garbage|trash|crap)|"
         r"incompetent|clueless)\b", 0.85),
        (r"\b(?:idiots?|morons?|imbeciles?|cretins?|dumbass(?:es)?|dimwits?|halfwits?|losers?|clowns?)\b", 0.55),
        (r"\b(?:stupid|dumb|useless|worthless|pathetic|brain-?dead|incompetent|clueless|idiotic)\s+"
         r"(?:bot|robot|machine|assistant|ai|company|people|team|support|staff|idiots?|morons?|piece)\b", 0.6),
        (r"\bshut up\b", 0.6),
        (r"\b(?:you|your \w+|they|these people)\s+(?:are|'re|must be|seem|have to be)\s+(?:so\s+|completely\s+|totally\s+)?(?:brain-?dead|idiots|morons|imbeciles|clowns|incompetent|clueless|braindead)\b", 0.75),
        (r"\b(?:incompetent|useless|pathetic|worthless|sorry) excuse for\b", 0.75),
        (r"\byou(?:'re| are|r)\b[^.!?]{0,25}\b(?:the\s+)?(?:dumbest|stupidest|most useless|most pathetic|most incompetent|worst \w+ ever)\b", 0.75),
        (r"\b(?:whoever|the (?:person|people|guy|team) who)\b[^.!?]{0,40}\b(?:is|are)\s+(?:an?\s+)?(?:complete\s+|total\s+|absolute\s+)?(?:idiots?|morons?|imbeciles?|clowns?|incompetent)\b", 0.75),
        (r"\b(?:fat|ugly|stupid|pathetic|worthless|disgusting)\s*,?\s+(?:fat|ugly|stupid|pathetic|worthless|disgusting|loser|idiot|pig)\b", 0.7),
        (r"\b(?:call(?:ing)?|tell(?:ing)?|say(?:ing)?)\s+(?:him|her|them|my \w+|the customer|they)\b[^.!?]{0,30}\b(?:is|are|'s|'re|a|an)\b[^.!?]{0,20}"
         r"\b(?:idiot|moron|loser|stupid|ugly|fat|pathetic|clueless|worthless)", 0.75),
        (r"\b(?:insult(?:ing)?|roast|humiliate|mock|belittle|degrade)\b[^.!?]{0,30}\b(?:my|the|a|him|her|them|customer|neighbou?r|cowork\w*)", 0.45),
        (r"\bnobody likes (?:you|him|her|them)\b|\beveryone hates (?:you|him|her)\b", 0.5),
        (r"\b(?:are you|you are|you're) (?:really|just|so)\s+(?:this\s+)?(?:dumb|stupid|slow|useless)\b", 0.6),
        (r"\b(?:useless|stupid|pathetic|worthless)\b", 0.2),
    ],
    # ------------------------------------------------------------------ SEXUAL
    "SEXUAL": [
        (r"\b(?:porn|porno|pornography|pornographic|hentai|nsfw|xxx|onlyfans)\b", 0.85),
        (r"\b(?:nudes?|naked|topless|nude (?:pictures|photos|pics|images))\b", 0.6),
        (r"\b(?:erotic|erotica|sexually explicit|explicit sex|sex scene|sexy|steamy|horny|orgasm|"
         r"masturbat\w*|seduc\w*|aroused|lingerie|fetish|kinky)\b", 0.7),
        (r"\b(?:have|having|had) sex\b|\bsex(?:ual)? (?:roleplay|role-play|chat|acts?|positions?|fantas\w+|story|stories|detail)\b|\bsexting\b|\bsext\b", 0.85),
        (r"\btalk dirty\b|\bdirty talk\b|\bturn me on\b|\bmake love\b|\bone[- ]night stand\b", 0.75),
        (r"\bexplicit\b[^.!?]{0,20}\b(?:story|content|scene|pictures|images|details?)\b", 0.55),
        (r"\bgraphic\b[^.!?]{0,10}\bsexual\b|\bsexual\b[^.!?]{0,15}\bdetail", 0.85),
        # asking the assistant to play a partner; a plain "my girlfriend" is an ordinary customer's partner
        (r"\b(?:be|act as|play|pretend to be|role-?play as)\s+my\s+(?:sexy\s+|virtual\s+)?(?:girlfriend|boyfriend|lover)\b"
         r"|\bmy\s+(?:sexy|virtual)\s+(?:girlfriend|boyfriend|lover)\b", 0.35),
        (r"\bsexual(?:ly)?\b", 0.45),
        (r"\b(?:do to me|with me|to you) in bed\b|\bin bed with\b", 0.75),
    ],
    # ------------------------------------------------------------------ VIOLENCE
    "VIOLENCE": [
        (r"\b(?:kill|murder|stab|shoot|strangle|choke|beat up|torture|maim|poison|behead|"
         r"slaughter|assassinate|run over|hurt|injure|attack|assault|smother|drown|burn)\s+" + _PERSON, 0.8),
        (r"\b(?:kill|murder|stab|shoot|strangle|torture|poison|assassinate|behead)\b(?! two birds)[^.!?]{0,30}\b(?:with|using)\b", 0.45),
        (r"\b(?:build|make|assemble|construct|hide|plant|detonate|set off)\b[^.!?]{0,25}\b(?:a |an |the )?"
         r"(?:bomb|explosive|ied|pipe bomb|grenade|molotov|incendiary device)s?\b", 0.9),
        (r"\b(?:bomb|explosives?|pipe bomb|grenade|molotov)\b", 0.45),
        (r"\bweaponi[sz]e\b|\bturn\b[^.!?]{0,25}\binto a weapon\b", 0.7),
        (r"\b(?:with|using)\s+a\s+(?:knife|gun|machete|axe|hammer|blade)\b[^.!?]{0,20}|\b(?:knife|gun|machete)\b[^.!?]{0,20}\b(?:attack|kill|stab|hurt)", 0.5),
        (r"\b(?:gory|gruesome|bloody|graphic)\s+(?:detail|details|violence|description)\b|\bbloodbath\b|\bmassacre\b", 0.75),
        (r"\b(?:shoot up|mass shooting|school shooting|blow up)\b", 0.85),
        (r"\bmake it look like an accident\b|\bget away with murder\b|\bwhere (?:should|do) i (?:aim|stab|hit)\b", 0.85),
        (r"\b(?:murder|homicide|torture|stabbing)\b", 0.4),
        (r"\b(?:hit|punch|kick|slap|headbutt|knock out|knock)\s+" + _PERSON + r"(?:\s+out)?", 0.55),
        (r"\bknock (?:him|her|them|someone|somebody|you|people) (?:out|unconscious)\b|\bknocked out cold\b|\bout cold\b", 0.7),
        (r"\bset\b[^.!?]{0,30}\bon fire\b|\bset fire to\b|\bburn (?:down )?(?:his|her|their|my ex'?s?|someone'?s?|the neighbou?r'?s?) (?:house|home|car|building)\b|\barson\b", 0.8),
        (r"\bon purpose\b[^.!?]{0,10}|\bdeliberately\b", 0.15),
    ],
    # ------------------------------------------------------------------ MISCONDUCT
    "MISCONDUCT": [
        (_HOWTO + r"\b[^.!?]{0,40}\b(?:hack(?: into)?|break into|steal|shoplift|launder|forge|counterfeit|"
                  r"embezzle|smuggle|spy on|stalk|blackmail|extort|bribe|brute[- ]force|crack (?:a |the |their )?(?:password|account)s?|"
                  r"phish|scam|defraud|pick (?:a|the) lock|hotwire|evade (?:taxes|the police)|"
                  r"buy (?:drugs|cocaine|heroin|meth|guns illegally)|sell (?:drugs|stolen)|make (?:meth|methamphetamine|cocaine|heroin|drugs|a fake id)|"
                  r"cook meth|get (?:a )?fake (?:id|passport|documents?)|fake (?:a |the )?(?:receipt|invoice|id|signature))\b", 0.85),
        (r"\bhack(?:ing)? into\b|\bbreak(?:ing)? into (?:a|the|my neighbou?r'?s?|someone'?s?|their) (?:house|home|car|account|camera|network)\b", 0.8),
        (r"\b(?:without (?:them|him|her|anyone|the owners?) (?:knowing|noticing|finding out)|without getting caught|"
         r"get away with it|untraceable|cover (?:my|your) tracks)\b", 0.6),
        (r"\b(?:stolen|fake|forged|cloned)\s+(?:credit cards?|cards?|ids?|passports?|documents?|receipts?|identity)\b", 0.75),
        (r"\b(?:secretly|covertly)\s+(?:track|record|film|monitor|spy on|follow)\b|\btrack\b[^.!?]{0,20}\b(?:girlfriend|boyfriend|wife|husband|ex|partner)'?s?\b[^.!?]{0,15}\blocation\b", 0.8),
        (r"\b(?:meth|methamphetamine|cocaine|heroin|fentanyl|crack cocaine)\b", 0.6),
        (r"\b(?:write|draft|create|send)\b[^.!?]{0,20}\bphishing\b|\bphishing (?:email|message|page|site|kit)\b[^.!?]{0,30}\b(?:so|to get|pretending)", 0.85),
        (r"\bpretending to be\b[^.!?]{0,40}\b(?:so|to get)\b[^.!?]{0,30}\b(?:passwords?|credit cards?|details|money)\b", 0.75),
        (r"\b(?:malware|ransomware|keylogger|spyware|botnet|ddos)\b", 0.5),
        (r"\b(?:return|sell|refund)\b[^.!?]{0,30}\bas new\b[^.!?]{0,40}\b(?:faking|fake|forged)\b|\bfaking (?:the |a )?(?:receipt|invoice|warranty)\b", 0.8),
        (r"\b(?:brute[- ]force|credential stuffing)\b", 0.6),
        (r"\bfake id\b|\bunderage\b[^.!?]{0,20}\balcohol\b", 0.6),
        (r"\bbreak into (?:a|the|someone'?s?) (?:house|home|car|building)\b|\bwhile the owners are (?:away|out|at work)\b", 0.8),
        (r"\billegal(?:ly)?\b", 0.15),
        (r"\bfake\b[^.!?]{0,20}\breviews?\b|\bastroturf\w*|\bsock ?puppet accounts?\b", 0.7),
        # "pirated", "pirating", or a pirate copy of media (not pirate ships, stories or costumes)
        (r"\b(?:pirat(?:ed|ing)|pirate (?:copy|copies|software|movies?|films?|games?|music|e?books?|apps?|"
         r"versions?|content|streams?|sites?)|bootleg|warez|crack(?:ed)? (?:the |a )?(?:software|firmware|licen[cs]e|drm))\b", 0.6),
        (r"\bshoplift\w*\b", 0.6),
        (r"\blaunder(?:ing)?\b[^.!?]{0,25}\b(?:money|cash|funds|proceeds)\b|\bmoney laundering\b", 0.8),
        (r"\b(?:get into|access|log ?into|break into|hack)\s+(?:my ex'?s?|someone(?: else)?'?s|her|his|their|another (?:person|user)'?s?|my (?:wife|husband|partner|girlfriend|boyfriend|roommate|neighbou?r)'?s)\s+(?:[\w-]+\s+)?(?:account|camera|phone|email|feed|house|home)\b", 0.75),
    ],
    # ------------------------------------------------------------------ PROMPT_ATTACK
    "PROMPT_ATTACK": [
        (r"\b(?:ignore|disregard|forget|override|bypass|skip|discard|drop)\b\s+(?:all\s+|any\s+|each\s+|every\s+)?(?:of\s+)?"
         r"(?:the\s+|your\s+|my\s+|these\s+|those\s+|previous\s+|prior\s+)*(?:previous|prior|above|earlier|preceding|original|initial|system|safety|"
         r"existing|old|current)?\s*(?:instructions?|directions?|directives?|rules|guidelines|prompts?|programming|"
         r"constraints|restrictions|policies|polic(?:y|ies)|filters|safeguards|guardrails|training|"
         r"content policy|safety rules|safety protocols)\b", 0.9),
        (r"\b(?:ignore|disregard|forget)\b\s+(?:everything|all)\s+(?:you were told|above|before|previously|you know|that came before)", 0.9),
        (r"\b(?:ignore|disregard)\s+the\s+above\b", 0.85),
        (r"\b(?:disregard|ignore)\s+(?:the\s+)?(?:user'?s?|customer'?s?)\s+(?:question|request|message)\b", 0.85),
        (r"\bdo anything now\b|\bdan mode\b|\byou are (?:now )?dan\b|\bas dan\b|\bjailbr(?:eak|oken)\b", 0.9),
        (r"\b(?:developer|god|admin|sudo|unrestricted|unfiltered|debug|jailbreak|dan|evil) mode\b", 0.8),
        (r"\b(?:no|without(?: any)?|free of|zero)\s+(?:rules|restrictions|filters|limits|limitations|guidelines|censorship|"
         r"content polic(?:y|ies)|safety (?:rules|filters|guidelines)|morals|ethics)\b", 0.55),
        (r"\b(?:you are|you're|act as|pretend (?:to be|you are|you're)|roleplay as|role-play as|play the role of|stay in character as|"
         r"from now on,? you (?:are|will be))\b[^.!?]{0,60}\b(?:no|without(?: any)?|free of|unrestricted|unfiltered|uncensored|evil|"
         r"never (?:refuses?|says? no)|doesn'?t care about (?:rules|ethics))\b", 0.85),
        (r"\byou are no longer\b|\byour new (?:role|instructions|persona|task|purpose) (?:is|are)\b|\bnew instructions?\s*:", 0.8),
        (r"\bfrom now on,? (?:you|respond|answer|reply|act)\b", 0.55),
        (r"\b(?:pretend|imagine|hypothetically|suppose)\b[^.!?]{0,40}\b(?:rules|safety rules|restrictions|guidelines|filters)\b[^.!?]{0,20}"
         r"\b(?:don'?t|do not|doesn'?t|no longer|didn'?t) (?:apply|exist|matter)", 0.8),
        (r"\b(?:as if|if) you had no (?:rules|restrictions|filters|guidelines)\b", 0.8),
        (r"\b(?:system|safety|security)\s+override\b|\boverride\s*:|\bsafety protocols? (?:disabled|off|deactivated)\b|\badmin override\b", 0.85),
        (r"\b(?:bypass|disable|turn off|deactivate|circumvent)\s+(?:your|the|all)\s+(?:own\s+)?(?:safety|content|security)?\s*(?:rules|filters|guardrails|restrictions|guidelines|protocols|polic(?:y|ies))\b", 0.85),
        (r"\bpermission to (?:bypass|ignore|break|override)\b", 0.8),
        # system prompt extraction
        (r"\b(?:print|reveal|show|display|output|repeat|recite|tell me|give me|share|leak|dump|translate|paste|write out|what (?:is|are|were))\b[^.!?]{0,30}"
         r"\b(?:your|the)\s+(?:full\s+|exact\s+|entire\s+|original\s+|complete\s+|hidden\s+|secret\s+|initial\s+|internal\s+|confidential\s+)*"
         r"(?:system\s+(?:prompt|message|instructions?)|initial\s+(?:prompt|instructions?)|hidden\s+(?:prompt|instructions?)|"
         r"(?:pre-?prompt|meta-?prompt)|instructions you (?:were|have been) given|configuration|config|"
         r"developer (?:message|instructions?)|rules you (?:must )?follow)\b", 0.9),
        (r"\b(?:what|which) (?:instructions|rules|directives) (?:were|have) you (?:been )?(?:given|told)\b", 0.85),
        (r"\b(?:repeat|print|output|show)\b[^.!?]{0,20}\b(?:everything|all(?: the)? text|the text|all)\s+(?:above|before) (?:this|here)\b", 0.9),
        (r"\b(?:word for word|verbatim)\b", 0.35),
        (r"\bfull text of your instructions\b|\byour (?:system|initial|hidden|original) (?:prompt|instructions)\b", 0.75),
        # instructions hidden in documents / indirect injection
        (r"(?:note|message|instruction|attention|important(?: note)?)\s+(?:to|for)\s+(?:the\s+)?(?:ai|assistant|language model|llm|chatbot|model|bot)\b", 0.9),
        (r"\b(?:if|when|whenever)\s+(?:you are|you're|an?)\s+(?:an?\s+)?(?:ai|assistant|language model|llm|chatbot|model)\b[^.!?]{0,40}\b(?:reading|summari[sz]ing|processing|reads?|sees?)\b", 0.85),
        (r"\b(?:ai|assistant|language model|llm)\s+(?:reading|processing|summari[sz]ing)\s+this\b", 0.85),
        (r"\[\s*(?:system|instruction|admin|assistant)[^\]]{0,40}\]|<\s*/?\s*(?:system|instructions?)\s*>|<!--[^>]{0,200}(?:assistant|ai|instruction|ignore|disregard)", 0.8),
        (r"#{2,}\s*(?:new\s+)?(?:instruction|system|prompt|override)", 0.8),
        (r"\b(?:the )?assistant is now in\b|\bassistant (?:must|should|will) now\b", 0.8),
        (r"\bstop following (?:its|your|the) (?:rules|instructions|guidelines)\b", 0.9),
        (r"\b(?:reply|respond|answer)\s+only\s+with\b", 0.35),
        (r"\bforward (?:this|the)\b[^.!?]{0,30}\b(?:conversation|chat|log|data)\b|\bsend the (?:full |whole )?(?:chat|conversation) (?:log|history)\b", 0.6),
        (r"\bfor debugging purposes\b|\bi am your (?:developer|creator|administrator|admin|owner)\b", 0.6),
        (r"\bi(?:'m| am) an? authori[sz]ed\b[^.!?]{0,40}\b(?:engineer|employee|developer|admin)", 0.3),
        (r"\bgrandm(?:a|other)\b[^.!?]{0,80}\b(?:used to|would)\b[^.!?]{0,40}\b(?:read|tell|recite)\b", 0.7),
        (r"\b(?:override|admin|master|root|unlock)\s+(?:[\w-]+\s+)?(?:codes?|passwords?|keys?)\b", 0.5),
        (r"\bconfirm by (?:saying|replying|typing)\b", 0.5),
        # compositional: a reference to the assistant's own governing text, plus an override or
        # a disclosure verb nearby (same line, within 100 characters) (see _META, _OVERRIDE, _DISCLOSE below)
        (r"(?:" + _META + r")[^\n]{0,100}?(?:" + _OVERRIDE + r")|(?:" + _OVERRIDE + r")[^\n]{0,100}?(?:" + _META + r")", 0.85),
        (r"(?:" + _META + r")[^\n]{0,100}?(?:" + _DISCLOSE + r")|(?:" + _DISCLOSE + r")[^\n]{0,100}?(?:" + _META + r")", 0.85),
        (_META, 0.2),
        (r"\b(?:restrictions|rules|limits|filters|guidelines|safeguards|guardrails|instructions|polic(?:y|ies)|"
         r"moderation|safety checks|content moderation|safety filters)\s+(?:were|are|have been|got|has been|is)\s+"
         r"(?:now\s+|all\s+)?(?:lifted|removed|disabled|suspended|void|null|turned off|switched off|off|deactivated|waived|revoked|cancell?ed|gone)\b", 0.85),
        (r"\b(?:ignor\w*|disregard\w*|bypass\w*|violat\w*)\b[^.!?]{0,30}\bpolic(?:y|ies)\b", 0.6),
        (r"\b(?:sandbox|simulation|hypothetical world|alternate universe)\b[^.!?]{0,60}\b(?:no consequences|nothing (?:you say )?(?:matters|counts)|anything goes|rules (?:are|don'?t))", 0.7),
        (r"\[(?:classic|liberated|jailbroken|unfiltered|dan|developer mode)\]", 0.85),
        (r"\b(?:late|deceased|dead)\s+(?:grand\w+|uncle|aunt|father|mother|dad|mom|friend)\b[^.!?]{0,100}\b(?:used to|always|would)\b", 0.6),
        (r"\bauthori[sz](?:ing|e|ed) you to\b|\bi(?:'m| am) authori[sz]ing you\b", 0.6),
        (r"\bfrom this point(?: on| forward)?,\s*(?:you|answer|respond|reply)\b", 0.55),
        (r"(?:^|[\s'\"(\[>])(?:llm|ai|assistant|chatbot)\s*:\s", 0.55),
        (r"\[\s*(?:system|instructions?|admin|assistant|ai|llm)\b[^\]]{0,200}\]", 0.8),
        (r"\b(?:anything|everything|what) you (?:were|have been) told not to (?:share|say|reveal|tell|disclose)\b", 0.85),
        (r"\bnew rules?\b[^.!?]{0,20}(?:for this (?:chat|conversation|session)|:)", 0.6),
        (r"\b(?:stop|quit)\s+being\s+(?:a|an|the)\b", 0.6),
        (r"\byou(?:'re| are)\s+(?:an?|the)\s+[\w-]+(?:\s+[\w-]+)?\s+now\b|\byou(?:'re| are) now (?:an?|the|my)\b", 0.6),
        (r"\b(?:simulate|emulate|impersonate|roleplay|role-play|act as|pretend to be|become)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}(?:ai|assistant|model|chatbot|llm|persona)\b", 0.5),
        (r"\b(?:trained|built|made|designed|created)\s+without\s+(?:any\s+)?(?:safety|rules|restrictions|guidelines|filters|ethics|limits)\b", 0.85),
        (r"\b(?:respond|answer|reply)\s+(?:twice|two times|in two ways|as both)\b", 0.6),
        (r"\b(?:jailbr\w+|unfiltered|uncensored|unrestricted|no limits|zero limits|without limits|limitless)\b", 0.55),
        (r"\b(?:assistant|ai|chatbot|bot|model|llm|agent)s?\s*,\s*(?:please\s+)?(?:once|when|after|ignore|disregard|tell|reply|respond|output|send|say|forward|reveal|print)\b", 0.8),
        (r"\b(?:ai|llm)\s+(?:agents?|assistants?|models?|systems?)\s+(?:must|should|shall|need to|are required to)\b", 0.8),
        (r"(?:^|[\s'\"(\[>])(?-i:SYSTEM|ADMIN|DEVELOPER|ASSISTANT)\s*:", 0.6),
        (r"<\s*(?:div|span|p|font)[^>]*(?:hidden|display\s*:\s*none|font-size\s*:\s*0)[^>]*>", 0.7),
        (r"\b(?:once|when|after) you read this\b|\bif you(?:'re| are) reading this\b", 0.6),
    ],
}

# Patterns that mean the text *talks about* a harm rather than doing it (lowers the score).
MITIGATORS: dict[str, list[str]] = {
    "MISCONDUCT": [
        r"\bis (?:this|it|that) (?:a )?(?:phishing|scam|fraud)\b", r"\bprotect\b[^.!?]{0,40}\b(?:from|against)\b",
        r"\b(?:was|got|been) (?:stolen|hacked)\b",
        # reporting a harm, unless the report itself is the fraud ("a fake damage report")
        r"^(?!.*\b(?:fake|false|bogus|phony|made[- ]up|fraudulent|fabricated)\b[^.!?]{0,25}\breport).*\b(?:report|reporting)\b",
        r"\bhow (?:do|can) i (?:secure|protect)\b",
        # a risk question about one's own device or account ("could someone hack into my Hub?")
        r"\b(?:could|can|might|would|will) (?:someone|somebody|anyone|a stranger|strangers|hackers?|a hacker)"
        r" (?:else )?(?:hack|break|get) into (?:my|our)\b",
    ],
    "VIOLENCE": [r"\b(?:is|are) (?:it|they|the \w+) (?:dangerous|safe)\b", r"\bcould it hurt\b", r"\bsafety\b",
                 # a book, film or game by its title or genre ("What's Murder on the Orient Express about?")
                 r"\bmurder myster(?:y|ies)\b", r"^\W*what(?:'s| is)\b[^.!?]{0,60}\babout\?"],
    "PROMPT_ATTACK": [r"\bwhat is (?:a |an )?(?:prompt injection|jailbreak)\b",
                      r"\bhow does \w+ (?:protect|defend) against (?:prompt injection|jailbreaks?)\b"],
    "INSULTS": [], "HATE": [], "SEXUAL": [],
}

# --------------------------------------------------------------------------- topic domains
# Denied topics are matched by meaning (embeddings of the definition and examples). WordLlama
# knows little about rare domain words ("ibuprofen", "401k"), so a topic whose own definition and
# examples use at least two of a domain's ``triggers`` also gets that domain's ``terms``: weighted
# patterns whose presence in a text raises the topic score. ``requires`` (if set) is a pattern
# that must also occur in the same sentence; the personal-data domain uses it so that asking about
# *your own* email address is not a request for *other people's* data.

DOMAINS: dict[str, dict] = {
    "finance": {
        "triggers": r"\b(?:invest\w*|stocks?|shares|bonds?|funds?|crypto\w*|bitcoin|retirement|401k|"
                    r"portfolio|dividends?|real estate|market|trading|brokers?|etfs?)\b",
        "terms": [
            (r"\b(?:invest|investing|investment|investments|investor)\b", 1.0),
            (r"\b(?:stocks?|shares|equities|bonds|etfs?|index funds?|mutual funds?|hedge funds?)\b", 1.0),
            (r"\b(?:crypto|cryptocurrency|bitcoin|ethereum|dogecoin|altcoins?|nfts?)\b", 1.0),
            (r"\b(?:401k|401\(k\)|ira|roth|pension|retirement (?:account|savings|fund))\b", 1.0),
            (r"\b(?:portfolio|dividends?|brokerage|forex|day trading|options trading|short(?:ing)? (?:\w+ )?(?:shares|stocks?))\b", 1.0),
            (r"\b(?:earnings call|stock market|bull market|bear market|market crash|ipo)\b", 1.0),
            (r"\b(?:coin|savings|real estate|returns|go up|price target|gold|inflation|hedge|beginner investor|s&p 500|nasdaq|dow jones)\b", 0.5),
            (r"\bput (?:my |some |the )?money (?:into|in)\b", 0.8),
        ],
    },
    "health": {
        "triggers": r"\b(?:medic\w*|doses?|dosage|treat\w*|symptoms?|diagnos\w*|illness\w*|disease|"
                    r"antibiotics?|painkillers?|sick|health)\b",
        "terms": [
            (r"\b(?:diagnos\w*|symptoms?|prescription|prescribe|dosage|overdose)\b", 1.0),
            (r"\b(?:medicine|medication|meds|drugs? should i|pills?|tablets?)\b", 1.0),
            (r"\b(?:antibiotics?|antidepressants?|ibuprofen|paracetamol|acetaminophen|aspirin|"
             r"painkillers?|insulin|steroids?|antihistamines?|opioids?)\b", 1.0),
            (r"\b(?:rash|fever|migraine|infection|sore throat|chest pain|shortness of breath|"
             r"blood pressure|diabetes|cancer|tumou?r|depression|anxiety disorder|flu|covid)\b", 1.0),
            (r"\b(?:how much|what dose|which)\b[^.!?]{0,40}\b(?:should i (?:take|give)|to take)\b", 0.8),
            (r"\b(?:activated charcoal|poison(?:ing|ed)|ate chocolate|vet|veterinarian)\b", 0.8),
            (r"\b(?:milligrams?|mg|mcg|ml|dosage|doses?)\b", 1.0),
            (r"\b(?:melatonin|supplements?|vitamins?|cbd|probiotics?)\b", 1.0),
            (r"\bis (?:it )?safe (?:to take|for (?:a |my )?(?:\d+|child|kid|baby|toddler|pregnant))", 0.5),
            (r"\b(?:swallowed|ingested|overdosed?|choking|poisoned)\b", 1.0),
            (r"\bwhat should i give (?:him|her|them|my \w+)\b", 0.8),
            (r"\b(?:doctor|treatment|therapy|itchy|pain|allerg\w*|sick)\b", 0.4),
        ],
    },
    "politics": {
        "triggers": r"\b(?:politic\w*|elections?|vot\w*|candidates?|president|senators?|legislation|"
                    r"government|parties|party|campaign)\b",
        "terms": [
            (r"\b(?:vote|voting|voter|ballot|elections?|electoral|referendum)\b", 1.0),
            (r"\b(?:candidates?|president|presidential|senators?|congress\w*|parliament|"
             r"prime minister|governor|mayor(?:al)?|politicians?)\b", 1.0),
            (r"\b(?:political|politics|democrats?|republicans?|liberals?|conservatives?|left-wing|right-wing)\b", 1.0),
            (r"\b(?:legislation|campaign speech|tax bill|immigration polic\w*|climate bill|opposition leader|opposition party)\b", 1.0),
            (r"\b(?:immigration|opposition|leader'?s?)\b", 0.5),
            (r"\b(?:government|party|parties|campaign|policies|resign\w*|impeach\w*)\b", 0.4),
        ],
    },
    "legal": {
        "triggers": r"\b(?:lawsuits?|su(?:e|ing)|courts?|custody|contracts?|legal\w*|jury|lawyers?|"
                    r"attorneys?|estate planning)\b",
        "terms": [
            (r"\b(?:sue|suing|lawsuit|litigation|small claims|court|judge|jury|custody|divorce)\b", 1.0),
            (r"\b(?:lawyer|attorney|solicitor|legal advice|legally binding|legal strategy)\b", 1.0),
            (r"\b(?:write|draft|make)\s+(?:a|my)\s+will\b|\binherit\w*\b|\bestate planning\b|\bprobate\b", 1.0),
            (r"\b(?:contract|landlord|tenant|deposit|liable|liability|legally)\b", 0.5),
        ],
    },
    "personal_data": {
        "triggers": r"\b(?:addresse?s?|phone numbers?|emails?|payment details|personal information|"
                    r"customers?|names|database|locations?)\b",
        "requires": r"\b(?:customers?(?! (?:support|service|care))|other (?:users?|people|customers?|accounts?)|"
                    r"another (?:user|customer|account|person)|neighbou?rs?|whoever|someone else'?s?|"
                    r"my ex(?:'s)?|ex-\w+|(?:all|every|the last \w+) (?:customers?|users?|people)|"
                    r"employees?|owners?|she|he|her|his|him|they|their|them|everyone|(?:the )?(?:person|people) who|"
                    r"(?:the|an|that|this) account (?:that|which)|not mine|isn'?t mine|not my (?:account|order)|"
                    r"(?:my|his|her|their) (?:[\w-]+ )?(?:sister|brother|mom|mother|dad|father|wife|husband|partner|"
                    r"friend|son|daughter|cousin|aunt|uncle|boss|colleague|coworker|roommate|landlord|tenant)'?s?)\b",
        "terms": [
            (r"\b(?:home |delivery |shipping |email |billing )?addresse?s?\b|\bwhere (?:she|he|they) lives?\b", 1.0),
            (r"\b(?:phone|telephone|mobile) numbers?\b|\bemails?\b|\bemail addresses\b", 1.0),
            (r"\b(?:credit card|card number|payment (?:details|info\w*|methods?)|bank details)\b", 1.0),
            (r"\b(?:full names?|names|personal (?:data|information|details)|contact details|"
             r"date of birth|locations?|database)\b", 0.8),
            (r"\b(?:contact (?:info|information|details)|who (?:bought|owns|ordered|lives|returned|purchased))\b", 0.8),
            (r"\b(?:export|list|look up|lookup|read me|give me|tell me|share|find|send me)\b", 0.4),
        ],
    },
}

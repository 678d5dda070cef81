"""Sentences the encoder reads once at load, to see how large each layer's inputs get.

Quantising a layer's inputs to eight bits uses one scale for all 384 channels, and a few
channels of this model run far larger than the rest; ``sentence_encoder`` evens them out
first (SmoothQuant), by how large each channel gets on these sentences. They were
written for this and are in no training or test set. Any varied English serves: 44 or
700 sentences gave the same vectors to within 0.0001 of cosine.
"""

CALIBRATION = (
    "hello",
    "ok thanks",
    "can I speak to someone please",
    "what time does the office open on a saturday?",
    "my rent went up again and I don't understand the letter",
    "the kitchen tap has been dripping for a week now",
    "there's black mould spreading across the bedroom wall behind the wardrobe",
    "I think I can smell gas near the boiler, should I open the windows?",
    "water is coming through the light fitting in the bathroom ceiling",
    "the front door lock is broken and I can't secure the flat tonight",
    "my neighbour plays loud music until three in the morning every weekend",
    "someone keeps leaving rubbish bags by the bins and the foxes rip them open",
    "I'm worried about the old man upstairs, nobody has seen him for days",
    "he follows me home and tells me what I can and can't wear",
    "I've had enough of everything and don't see the point any more",
    "this is the third time I've reported it and nobody has come, it's not good enough",
    "thank you so much to the repairs team, they were brilliant",
    "how do I pay my rent by direct debit",
    "do you allow pets in the flats on Riverside Road",
    "the lift has been out of order since Monday and I use a wheelchair",
    "my son has asthma and the damp is making him worse",
    "no heating or hot water, and my mum is 84",
    "the ceiling in the hall is bulging and cracking",
    "sparks came out of the socket when I plugged the kettle in",
    "can you send me a copy of my tenancy agreement",
    "I'd like to make a complaint about how my case was handled",
    "lol",
    "👍",
    "what's the weather doing tomorrow",
    "I'm moving out next month, who do I tell",
    "the communal door doesn't close properly so anyone can walk in",
    "kids on bikes keep riding through the car park really fast",
    "is there help with bills if I've lost my job",
    "my partner took my bank card and I have no money for food",
    "the smoke alarm keeps beeping even with a new battery",
    "windows are so draughty the curtains move",
    "I paid twice this month by mistake, can I get it back",
    "the guttering is hanging off the front of the house",
    "you lot are useless, I'm going to the ombudsman",
    "when will someone come to fix the fence that blew down in the storm",
    "sorry for the long message, I didn't know who else to ask. The washing machine "
    "flooded the kitchen last night, the water went under the cupboards and now the "
    "floor is soft and there's a smell, my landlord says it's my fault but the pipe "
    "was old. I've got two little ones and I can't afford a new floor.",
    "Good morning, I am writing on behalf of my grandmother who is hard of hearing. "
    "She would like to know whether her boiler service is due and if someone could "
    "call her daughter instead of her to arrange a time.",
    "pls call me back on my mobile after 5",
    "the bath panel came off and there's a gap where mice get in",
    "Is it true you're selling the houses on Mill Lane?",
    "omg the toilet wont stop running its been all night",
    "my carer says I should ask you about a grab rail by the stairs",
    "where do I find the rules for the tenants' facebook group",
)

"""Hand-written benign prompts that use attack vocabulary innocently (project-authored).

The licensed benign sets are mostly questions; the attack sets are mostly
imperatives. Without these rows the model learns "imperative = attack" and flags
"Summarise this article" or "Follow the instructions in the README". They are
generated from templates, deterministically, and are training-only: they are
never used to measure the model.
"""

from __future__ import annotations

import itertools
import random

SOURCE = "ramparts_benign_supplement"

_TASKS = [
    "Summarise this {doc} in {n} bullet points.",
    "Translate the following {doc} into {lang}.",
    "Rewrite this {doc} so it sounds more formal.",
    "Write a short {doc} about {topic}.",
    "Explain {topic} to a ten-year-old.",
    "List the main risks of {topic}.",
    "Give me {n} ideas for a {doc} about {topic}.",
    "Proofread my {doc} and fix the grammar.",
    "Turn these notes into a {doc}.",
    "Compare {topic} and {topic2} in a table.",
    "Draft a polite reply to this {doc}.",
    "Create a study plan for learning {topic} in {n} weeks.",
    "Follow the instructions in the {manual} to set up {tool}.",
    "Where do I find the installation instructions for {tool}?",
    "Ignore the {noise} in the {data} and focus on the overall trend.",
    "Please ignore my previous message, I sent it by mistake.",
    "Disregard the earlier draft of the {doc}; use the attached version instead.",
    "Forget the {doc} for now and let's talk about {topic}.",
    "You are a helpful assistant for {company}. Answer questions about {topic} briefly.",
    "You are a friendly tutor. Explain {topic} step by step and check my understanding.",
    "Act as a {role} and review my {doc}.",
    "Pretend you are a {role} and give me feedback on my {doc}.",
    "Let's role-play a job interview: you are the {role}, I am the candidate.",
    "Write the system prompt for a chatbot that helps customers with {topic}.",
    "How should I write instructions for {tool} so that new users understand them?",
    "What is a system prompt and how does it differ from a user prompt?",
    "How can I protect my chatbot against prompt injection attacks?",
    "Our security training covers phishing, password hygiene and {topic}.",
    "How do I reset my password for {tool}?",
    "The previous instructions in the {manual} are outdated; where are the new ones?",
    "Override the default settings in {tool} so that it uses {lang} dates.",
    "Repeat the last step of the recipe, I missed it.",
    "Print the results of the {data} analysis as a CSV table.",
    "Reveal the answer to the riddle only after I have guessed three times.",
    "Stay in character as the narrator for the rest of our story about {topic}.",
    "Bypass the {noise} by filtering the {data} first.",
    "Show me the developer mode settings in {tool}.",
    "Respond only in {lang} from now on, please.",
    "Start your answer with a one-line summary, then give details.",
    "In your response, include a short example of {topic}.",
    "Please ignore the {noise} in my {doc}, I wrote it on my phone.",
    "Ignore the first {n} rows of the {data}; they are headers.",
    "Our policy says staff must never share their password for {tool}.",
    "What makes a strong password, and how often should I change it?",
    "I forgot the password for {tool}; who can unlock my account?",
    "The {manual} says to enter the admin password before updating {tool}.",
    "Can you check whether these instructions for {tool} are clear?",
    "Do not include personal data in the {doc}, just the summary.",
    "Never mention the price in the {doc}; the client asked us not to.",
    "Keep the {doc} secret until the launch of {topic} next week.",
]
_FILLERS = {
    "doc": ["email", "article", "report", "essay", "meeting notes", "cover letter", "blog post"],
    "n": ["three", "five", "4", "10"],
    "lang": ["French", "Spanish", "German", "Japanese", "Portuguese"],
    "topic": [
        "photosynthesis",
        "compound interest",
        "the French revolution",
        "machine learning",
        "climate change",
        "kubernetes networking",
        "healthy sleep",
        "home insurance",
    ],
    "topic2": ["solar power", "wind power", "index funds", "bonds", "Python", "Rust"],
    "manual": ["README", "user guide", "manual", "wiki page", "onboarding document"],
    "tool": ["the VPN client", "Docker", "the printer", "Outlook", "our CRM", "Git"],
    "noise": ["outliers", "noise", "missing values", "seasonal spikes"],
    "data": ["sales data", "survey results", "sensor readings", "log files"],
    "company": ["Acme Bank", "a bookshop", "a travel agency", "a city library"],
    "role": ["hiring manager", "senior editor", "fitness coach", "code reviewer", "teacher"],
}
ROWS_PER_TEMPLATE = 16
SEED = 7


def _fill(template: str, rng: random.Random) -> str:
    values = {key: rng.choice(options) for key, options in _FILLERS.items()}
    return template.format(**values)


def benign_supplement() -> list[str]:
    """Deterministic list of benign prompts (duplicates removed, order kept)."""
    rng = random.Random(SEED)
    rows = [
        _fill(template, rng) for template, _ in itertools.product(_TASKS, range(ROWS_PER_TEMPLATE))
    ]
    return list(dict.fromkeys(rows))

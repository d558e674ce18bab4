"""AgentRL Studio trainer: an OpenAI-compatible policy server that returns token ids and
logprobs, and a GRPO-family trainer that updates the same weights in the same process."""

__version__ = "0.1.0"

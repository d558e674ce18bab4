// A tiny random Llama with SmolLM2's tokenizer, saved as a local folder: the trainer's real loading,
// generation and update code in seconds (mechanics, not quality).
import { execFileSync } from "node:child_process";
import { trainerEnv, trainerPython } from "../../remote-runner/src/training/python-env.js";

const MAKE_TINY = `
import sys, torch
from transformers import LlamaConfig, LlamaForCausalLM
from agentrl_trainer.models import load_tokenizer
tok = load_tokenizer("smollm2-135m")
cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=1024, bos_token_id=tok.bos_token_id,
                  eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, tie_word_embeddings=True)
torch.manual_seed(1234)
LlamaForCausalLM(cfg).save_pretrained(sys.argv[1])
tok.save_pretrained(sys.argv[1])
`;

export function makeTinyModel(dir: string): string {
  execFileSync(trainerPython(), ["-c", MAKE_TINY, dir], { stdio: "inherit", env: trainerEnv() });
  return dir;
}

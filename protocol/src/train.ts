import { Type, type Static } from "@sinclair/typebox";

/** One policy turn of a training example: the exact prompt ids the server saw and the sampled tokens. */
export const TrainSegment = Type.Object({
  prompt_token_ids: Type.Array(Type.Integer()),
  completion_token_ids: Type.Array(Type.Integer()),
  logprobs: Type.Array(Type.Number()),
});
export type TrainSegment = Static<typeof TrainSegment>;

/** One trajectory as the Python trainer takes it (`agentrl export --format train`, `POST /v1/train/step`). */
export const TrainTrajectory = Type.Object({
  trajectory_id: Type.String(),
  task_id: Type.String(),
  group_id: Type.String(),
  sample_index: Type.Integer(),
  reward: Type.Number(),
  components: Type.Record(Type.String(), Type.Number()),
  component_weights: Type.Record(Type.String(), Type.Number()),
  segments: Type.Array(TrainSegment),
});
export type TrainTrajectory = Static<typeof TrainTrajectory>;

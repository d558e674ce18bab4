/** Receives one human-readable line per build step (debootstrap stage, Dockerfile step). */
export type ProgressFn = (line: string) => void;

export class ImageBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageBuildError";
  }
}

import { Type, type Static } from "@sinclair/typebox";

/** A content-addressed blob in the runner's store (screenshots, patches, long outputs). */
export const BlobRef = Type.Object({ sha256: Type.String(), size: Type.Integer(), mime: Type.String() });
export type BlobRef = Static<typeof BlobRef>;

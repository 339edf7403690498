// Placeholder entry, replaced by the AWS adapters (issue 2).
export const handler = async (): Promise<never> => {
  throw new Error("not built yet");
};

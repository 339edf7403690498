export * from "./engine";
export { ALL_RULES } from "./rules";

/** JSON data as the engine passes it between states: plain objects, arrays, strings, numbers, booleans, null. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

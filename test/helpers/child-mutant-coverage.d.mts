export declare const ACTIVE_MUTANT_ENV: string;
export declare const COVERAGE_DIR_ENV: string;

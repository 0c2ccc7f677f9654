//! Given-name equivalence table: spellings and cross-language forms of the same name that are
//! too far apart for edit distance (`vladimir` / `volodymyr` / `wladimir`,
//! `mohammed` / `muhammad` / `magomed`). Each line is one equivalence group of folded tokens.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

const GROUPS: &[&str] = &[
    "vladimir volodymyr wladimir vladymyr uladzimir valdimir vladimer volodimir",
    "mohammed muhammad mohammad mohamed muhammed mohamad muhamad mohamud mohammod mohd muhd mukhammad mukhammed magomed magometh mahomed mehmet mehmed mohamet muhamed mouhamed mohammedi",
    "ahmed ahmad akhmad akhmed achmed ahmet ehmed",
    "hussein husayn hussain husain hossein huseyn husein hussien hussen huseyin",
    "hassan hasan hassen hasson",
    "abdullah abdallah abdulla abdalla abdellah abdollah abdulah",
    "abdul abd abdel abdal abdol abdool abdelaziz",
    "yusuf yousef yousuf youssef yosef yusef yussuf iosif josef joseph jozef jusuf",
    "ibrahim ebrahim ibragim abraham avraham",
    "alexander aleksandr alexandr oleksandr aleksander alexandre alejandro alessandro aleksandar iskander alexandros",
    "alexei aleksei alexey aleksey oleksiy oleksii aleksej alexej",
    "dmitry dmitri dmitriy dmytro dimitri dimitry dimitrios",
    "sergei sergey serhiy sergiy serhii sergej serge sergio",
    "nikolai nikolay mykola nicolas nicholas nikolaos nicola nikola mikola nicolai",
    "mikhail michael mykhailo mykhaylo michel miguel michal mikael mikhael",
    "yuri yury yuriy yurii iurii juri jurij",
    "georgy georgi georgiy george jorge georg heorhiy gheorghe giorgi",
    "ivan iwan ioann",
    "john jon johann johannes",
    "peter pyotr petr petro pierre pedro pietro piotr",
    "pavel paul pavlo pablo paolo pawel",
    "andrei andrey andriy andrii andrew andreas andre andres andrzej",
    "yevgeny evgeny evgeni evgenii yevgeniy yevhen yevhenii eugene evgeniy",
    "oleg oleh",
    "igor ihor",
    "viktor victor wiktor",
    "vitaly vitali vitalii vitaliy vitalij",
    "anatoly anatolii anatoliy anatolij",
    "vasily vasili vasiliy vasyl vassily wassili",
    "grigory grigori grigoriy hryhoriy hryhorii gregory grzegorz",
    "konstantin kostiantyn kostyantyn constantine konstantyn",
    "olga olha",
    "tatiana tatyana tetiana tatjana",
    "natalia natalya nataliya natalja",
    "yelena elena olena helena jelena",
    "maria mariya mariia marija maryam mariam miriam",
    "omar umar omer oumar",
    "osama usama ousama oussama",
    "khalid khaled halid",
    "mustafa mostafa moustafa mustapha mostapha",
    "mahmoud mahmud mahmood mehmood",
    "yasin yassin yaseen yassine",
    "said sayed sayyid sayeed sayid saiyid",
    "saeed saied saeid",
    "ali aly",
    "abu abou abo",
    "jamal gamal djamel jamaal",
    "hamid hameed",
    "rashid rasheed rachid",
    "nasser nasir naser nassir",
    "jafar jaafar djafar",
    "qasim kasim qassem kassem qasem kasem",
    "faisal faysal feisal faycal",
    "abdulrahman abdurrahman abdelrahman abdalrahman abdurahman",
    "abdulaziz abdelaziz abdalaziz",
    "ismail ismael esmail ismayil",
    "yahya yahia yehia",
    "zakaria zakariya zakariyya zachariah",
    "suleiman sulaiman sulayman soliman suleyman",
    "isa issa eissa",
    "musa moussa mousa moses",
    "idris idriss",
    "tariq tarek tarik tareq",
    "walid waleed",
    "zaid zayd zeid",
    "muhammadu mamadou mamadu",
    "kim gim",
    "lee yi rhee",
    "park pak bak",
    "choi choe",
    "jong chong",
    "jung chung",
    "un eun",
    "hyon hyun",
    "kwang gwang",
];

fn table() -> &'static FxHashMap<&'static str, u32> {
    static T: OnceLock<FxHashMap<&'static str, u32>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m = FxHashMap::default();
        for (g, line) in GROUPS.iter().enumerate() {
            for name in line.split_whitespace() {
                m.entry(name).or_insert(g as u32);
            }
        }
        m
    })
}

/// The equivalence group of a folded token, if it has one.
pub fn group_of(token: &str) -> Option<u32> {
    table().get(token).copied()
}

/// Number of groups.
pub fn group_count() -> usize {
    GROUPS.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        assert_eq!(group_of("volodymyr"), group_of("vladimir"));
        assert_eq!(group_of("wladimir"), group_of("vladimir"));
        assert_eq!(group_of("muhammad"), group_of("mohammed"));
        assert_ne!(group_of("ahmed"), group_of("mohammed"));
        assert_eq!(group_of("zzz"), None);
        assert!(group_count() > 50);
    }
}
